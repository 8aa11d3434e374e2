package proc_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(listenEnv); addr != "" {
		listen(addr)
	}
	if os.Getenv(proc.OrphanEnv) != "" {
		proc.ServeOrphan(startListener)
	}
	os.Exit(m.Run())
}

// listenEnv makes the test binary a stand-in app that accepts connections on an address until
// it is killed.
const listenEnv = "SCIM_PROC_TEST_LISTEN"

func listen(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Exit(1)
	}
	for {
		if conn, err := l.Accept(); err == nil {
			_ = conn.Close()
		}
	}
}

// startListener starts the stand-in app as proc does an app, and returns its address once it
// listens.
func startListener() (string, error) {
	port, err := proc.FreePort()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), listenEnv+"="+addr, proc.OrphanEnv+"=")
	if _, err := proc.Start(cmd, syscall.SIGKILL); err != nil {
		return "", err
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			_ = conn.Close()
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", err
		}
	}
}

func TestChildDiesWithTheTestBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux ties a child's life to its parent's")
	}
	if addr, err := proc.KillWhileRunning(20 * time.Second); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
}

func TestStopEscalates(t *testing.T) {
	// A child that ignores SIGTERM is killed after the grace period.
	cmd := exec.Command("sh", "-c", "trap '' TERM; sleep 60")
	p, err := proc.Start(cmd, syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let sh install its trap
	start := time.Now()
	p.Stop(200*time.Millisecond, syscall.SIGTERM)
	if p.Exited() == "" {
		t.Fatal("the child still runs after Stop")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s", d)
	}
}

func TestTempDirRemovesDirectoriesOfDeadBinaries(t *testing.T) {
	const prefix = "scim-proc-test-"
	// A process that has exited stands for a test binary that died.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "owner.pid"), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := proc.TempDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the directory of a dead binary is still there: %v", err)
	}
	// Our own directory is kept by the next one.
	other, err := proc.TempDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(other)
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the directory of a live binary was removed: %v", err)
	}
}
