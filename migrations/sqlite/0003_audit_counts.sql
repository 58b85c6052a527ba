-- Repeated denials are one audit event with a count, rewritten while the count grows: the
-- count as a column lets a late write of a smaller count lose to an earlier larger one.
ALTER TABLE audit_events ADD COLUMN repeats BIGINT NOT NULL DEFAULT 1;
