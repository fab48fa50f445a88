package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// NewOwnerID returns an owner id for leases that is unique to this process
// and says where it runs, hostname-pid-random (e.g. "web-7f9c-4121-9a3be01c"),
// so a log line about a lost lease names the replica that holds it. Call it
// once per process and pass it to every Claim, Renew and Release.
func NewOwnerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var random [4]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails
	if len(host) > 64 {
		host = host[:64] // keep the id well under the key limit, random part included
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(random[:]))
}
