-- Admins look for usage that had no price; keep that look cheap however many events there are.
create index usage_events_unpriced on usage_events (created_at) where pricing = 'unpriced';
