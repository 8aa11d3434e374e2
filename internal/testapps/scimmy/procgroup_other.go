//go:build !unix

package scimmy

import (
	"os"
	"os/exec"
)

// ownProcessGroup leaves cmd as it is where there are no process groups.
func ownProcessGroup(*exec.Cmd) {}

// lockFile does nothing where there is no flock: concurrent runs must not share node_modules.
func lockFile(*os.File, bool) error { return nil }
