//go:build !linux

package main

import "syscall"

// childAttr: only Linux can tie the child's life to ours; elsewhere the bench stops it itself.
func childAttr() *syscall.SysProcAttr { return nil }
