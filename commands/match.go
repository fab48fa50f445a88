package commands

import "reflect"

// SameAs reports whether q and o were built alike, the page aside: the same
// request body and the same client-side predicate, field by field. It
// implies Equal of the same page without marshalling the bodies, so that callers comparing
// many queries (an alert round groups thousands of rules whose queries are
// parsed one by one) pay a comparison, not two JSON encodings. It may be
// false for queries that are Equal (times that differ below what the body
// carries); use it where a false "different" only costs work.
func (q *Query) SameAs(o *Query) bool {
	if q == nil || o == nil {
		return q == o
	}
	// Pointers, so that the structs are not copied into interfaces.
	return reflect.DeepEqual(&q.filter, &o.filter) && reflect.DeepEqual(&q.pred, &o.pred)
}
