-- Tasks due this month: tasks whose deadline names a date (or a month) in the current month.
SELECT due_date, owner, task, deadline, document, article
FROM tasks
WHERE due_date >= date_trunc('month', current_date)
  AND due_date < date_trunc('month', current_date) + INTERVAL '1' MONTH
ORDER BY due_date, document, article, task
