-- Open tasks by owner: tasks that name an owner and are not past their stated date (or state
-- none), in every current digest.
SELECT owner, count(*) AS open_tasks, count(due_date) AS with_due_date, min(due_date) AS next_due
FROM tasks
WHERE owner IS NOT NULL AND (due_date IS NULL OR due_date >= current_date)
GROUP BY owner
ORDER BY open_tasks DESC, owner
