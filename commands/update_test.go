package commands

import "flag"

// update rewrites the golden files of package commands (go test -update).
// The one -update flag of this test package: other golden tests of the
// package use it too.
var update = flag.Bool("update", false, "rewrite golden files")
