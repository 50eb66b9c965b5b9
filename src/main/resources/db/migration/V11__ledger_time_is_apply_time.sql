-- A ledger row's created_at is the moment the row is written, under the account's row lock, not the
-- start of its transaction (now()): two transactions on one account then apply, number and time their
-- rows in the same order, so one account's rows are one chain by id and by created_at alike.
alter table credit_transactions alter column created_at set default clock_timestamp();
