package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process the harness started, pinned to cores with taskset (which execs the
// program, so the pid is the program's own and /proc/<pid> measures it).
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

// startChild runs path with args on cores, its output in dir/<name>.log.
func startChild(name, dir, cores, path string, args, env []string) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own descriptor
	cmd := pinnedCommand(context.Background(), cores, path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// pinnedCommand is path with args, to be run on cores (a taskset list such as "1" or
// "0,2-3"). It gets SIGKILL if the harness dies without stopping it.
func pinnedCommand(ctx context.Context, cores, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cores, path}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to end (SIGTERM) and kills it after 10 seconds.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// waitReady polls ready until it answers true, the child exits, or a minute passes.
func (c *child) waitReady(ctx context.Context, ready func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for !ready() {
		select {
		case <-c.exited:
			return fmt.Errorf("%s exited before it was ready; its output:\n%s", c.name, c.output())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after a minute; its output:\n%s", c.name, c.output())
		}
	}
	return nil
}

// listenAddr waits for the "listening ADDR" line of one of the harness's own roles.
func (c *child) listenAddr(ctx context.Context) (string, error) {
	var addr string
	err := c.waitReady(ctx, func() bool {
		line, _, _ := strings.Cut(c.output(), "\n")
		a, ok := strings.CutPrefix(line, "listening ")
		addr = a
		return ok
	})
	return addr, err
}

// output returns the end of what the child wrote.
func (c *child) output() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// corePlan says where everything runs: the measured process (gateway or bare proxy) alone on
// pinned, the load generator, upstream and redis-server on load.
type corePlan struct {
	pinned int
	load   []int
}

// planCores pins to cpu (or, when cpu < 0, the last online core) and gives every other
// online core to the load side. On a single core both share it, and the plan says so.
func planCores(cpu int) (corePlan, error) {
	online, err := onlineCPUs()
	if err != nil {
		return corePlan{}, err
	}
	if cpu < 0 {
		cpu = online[len(online)-1]
	}
	p := corePlan{pinned: -1}
	for _, c := range online {
		if c == cpu {
			p.pinned = c
		} else {
			p.load = append(p.load, c)
		}
	}
	if p.pinned < 0 {
		return corePlan{}, fmt.Errorf("-cpu %d is not an online core (online: %v)", cpu, online)
	}
	if len(p.load) == 0 {
		p.load = []int{cpu}
	}
	return p, nil
}

func (p corePlan) shared() bool       { return len(p.load) == 1 && p.load[0] == p.pinned }
func (p corePlan) pinnedList() string { return strconv.Itoa(p.pinned) }
func (p corePlan) loadList() string {
	s := make([]string, len(p.load))
	for i, c := range p.load {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// onlineCPUs parses /sys/devices/system/cpu/online ("0-1", "0,2-5").
func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, err
	}
	var cpus []int
	for part := range strings.SplitSeq(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		first, err1 := strconv.Atoi(lo)
		last, err2 := strconv.Atoi(hi)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("online cores %q: %w", part, err)
		}
		for c := first; c <= last; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
