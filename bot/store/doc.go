// Package store keeps the state that must survive a restart of inboxbot:
// digests and their slot claims, alert rules, incidents, acks, silences and
// the contacts an alert has already announced.
//
// One small interface, [Store], is shaped by what those callers need, not by
// one database's API: records of a kind (get, put, delete, list, and an
// atomic read-modify-write), leases ("claim this key until T"), ids that are
// never reused, and a health check. Two implementations: an embedded bbolt
// file for one replica ([OpenBolt], STORE_URL=bolt://PATH, the default) and
// Redis for several replicas ([OpenRedis], STORE_URL=redis://... or
// rediss://... for TLS). Both pass the same conformance suite, package
// storetest; [Open] picks one from STORE_URL.
//
// # Records are versioned JSON
//
// A record is opaque bytes to the store, but every caller writes it through
// [Encode] (or [PutJSON], [UpdateJSON]), which wraps the value in an envelope
// {"v":1,"data":{...}}. The bolt file and the Redis keys outlive the binary
// that wrote them: after an upgrade the new release must read what the old
// one wrote, and after a rollback the old release meets records of a newer
// shape. The version says which shape "data" has, so a reader can migrate an
// old record instead of guessing from its fields, and [UpdateJSON] refuses to
// rewrite a record of a newer version than it knows (which would silently
// drop the fields it does not understand).
//
// # Claims are leases with an owner
//
// A digest slot or an alert round must run on exactly one replica, and a
// replica that dies mid-round must not block the next round forever. So a
// claim is a lease: [Store.Claim] takes a key for a time-to-live and an
// owner id, succeeds for exactly one caller while the lease is live, and
// lets anyone take the key once it has expired. The owner id makes renewing
// and releasing safe: a replica that stalled past its lease (a long GC
// pause, a network partition) and then calls [Store.Renew] or
// [Store.Release] learns that it lost the key instead of extending or
// deleting the lease of the replica that took it over. Expiry is a duration
// measured on the store's clock ([Options.Now]; Redis keeps a PX expiry as
// well), so tests move time with a fake clock instead of sleeping. A digest
// slot is claimed for longer than it could ever be posted again (the caller
// chooses), so an expired slot lease never causes a second post.
//
// # Ids
//
// [Store.NextID] hands out 1, 2, 3 ... per prefix ("d" for digests, "a" for
// alerts) from a counter kept apart from the records, so deleting d3 never
// makes d3 come back, across restarts and replicas.
package store
