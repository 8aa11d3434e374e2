package proc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// OrphanEnv, set in a test binary's environment, asks its TestMain to start its app, print the
// app's address (host:port) on a line of its own and wait to be killed: see KillWhileRunning.
const OrphanEnv = "SCIM_TESTAPPS_ORPHAN"

// KillWhileRunning runs this test binary again with OrphanEnv set, reads the address its
// TestMain prints, and kills it with SIGKILL, as a go test timeout or a crash would. It returns
// once nothing listens on that address any more, or an error after timeout: an app that
// outlives the binary that started it is a leak.
func KillWhileRunning(timeout time.Duration) (addr string, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), OrphanEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr Output
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, _, err := net.SplitHostPort(sc.Text()); err == nil {
				lines <- sc.Text()
				break
			}
		}
		close(lines)
	}()
	select {
	case addr = <-lines:
	case <-time.After(timeout):
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if addr == "" {
		return "", fmt.Errorf("the helper printed no address: %s", stderr.String())
	}
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return addr, nil
		}
		if err == nil {
			_ = conn.Close()
		}
		if time.Now().After(deadline) {
			return addr, errors.New("the app still listens on " + addr + " after the test binary that started it died")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ServeOrphan is what TestMain does under OrphanEnv: start the app, print its address, and wait
// for the kill.
func ServeOrphan(start func() (addr string, err error)) {
	addr, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(strings.TrimSpace(addr))
	select {}
}
