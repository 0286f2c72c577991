-- The console's paged lists: refill requests and tickets newest first
-- (usually of one status), held payments oldest first. Each page is read
-- from an index instead of sorting the whole table.
CREATE INDEX refill_requests_status_time ON refill_requests(status, created_ms, id);
CREATE INDEX tickets_status_time ON tickets(status, created_ms, id);
CREATE INDEX payments_held ON payments(created_ms, txn_id) WHERE pending = TRUE;
