-- Documents with dropped quotes: items the engine returned whose quote is not in the source or
-- lies in text addressed to the model, and which were therefore left out of the digest.
SELECT source.key AS document, grounding.dropped AS dropped, grounding.checked AS checked,
  engine.name AS engine, engine.model AS model, processedAt AS processed_at
FROM digests
WHERE grounding.dropped > 0
ORDER BY dropped DESC, document
