package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux almost
// everywhere; getconf says for sure).
func clockTick() time.Duration {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if hz, err2 := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && err2 == nil && hz > 0 {
		return time.Second / time.Duration(hz)
	}
	return 10 * time.Millisecond
}

// cpuTime returns the CPU time (user + system, all threads) pid has used so far.
func cpuTime(pid int, tick time.Duration) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * tick, nil
}

// memKB returns a field of /proc/<pid>/status in KiB: "VmRSS" (resident now) or "VmHWM"
// (the peak resident set so far).
func memKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status %s: %w", pid, field, err)
		}
		return kb, nil
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// coreTime is one core's line of /proc/stat, in ticks.
type coreTime struct{ busy, total uint64 }

// coreTimes reads every core's busy and total time from /proc/stat.
func coreTimes() (map[int]coreTime, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, err
	}
	out := map[int]coreTime{}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		var t coreTime
		for i, v := range f[1:8] { // user nice system idle iowait irq softirq
			x, _ := strconv.ParseUint(v, 10, 64)
			t.total += x
			if i != 3 && i != 4 {
				t.busy += x
			}
		}
		if len(f) > 8 { // steal: time the hypervisor gave to someone else
			x, _ := strconv.ParseUint(f[8], 10, 64)
			t.busy += x
			t.total += x
		}
		out[n] = t
	}
	return out, nil
}

// busyPercent is how busy cores were between two readings, as a share of their time.
func busyPercent(before, after map[int]coreTime, cores []int) float64 {
	var busy, total uint64
	for _, c := range cores {
		busy += after[c].busy - before[c].busy
		total += after[c].total - before[c].total
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(busy) / float64(total)
}

// resetPeakRSS makes the kernel restart pid's VmHWM from its current RSS (Linux 4.0 and
// later), so that the peak read afterwards is the peak under load, not the start-up's.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}
