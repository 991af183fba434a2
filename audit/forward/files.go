package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mypatients/gateway/audit/auditevent"
)

// Files ships AuditEvents to NDJSON files in Dir, one AuditEvent a line, named
// auditevent-<UTC start, to the nanosecond>-<first seq>.ndjson so that names sort in order. A file is rotated at
// the UTC day's end and when it reaches MaxBytes. Each send is written and fsynced before the
// cursor moves; after a crash the newest file's last line says which seq it reached (the
// audit-sequence extension), so that a batch sent again is not written twice, and a torn last
// line is cut off.
type Files struct {
	Dir string
	// MaxBytes rotates a file that reaches this size (default 64 MiB).
	MaxBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	opened bool
	f      *os.File
	size   int64
	day    string
	last   int64 // the newest seq written
}

// Name implements Sink.
func (s *Files) Name() string { return "files" }

// Send implements Sink.
func (s *Files) Send(_ context.Context, batch []Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened {
		if err := s.open(); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	var first, last int64
	for _, it := range batch {
		if it.Seq <= s.last {
			continue // written before a crash
		}
		for _, ev := range it.Events {
			b, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("forward: encode AuditEvent: %w", err)
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		first, last = cmpOr(first, it.Seq), it.Seq
	}
	if buf.Len() == 0 {
		return nil
	}
	return s.write(buf.Bytes(), first, last)
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// write appends lines (seqs first..last) to the current file, rotating first when due, and
// syncs them to disk. A failed write closes the file: the next send reopens it and cuts the
// torn line.
func (s *Files) write(lines []byte, first, last int64) error {
	if err := s.rotate(first); err != nil {
		return err
	}
	n, err := s.f.Write(lines)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		s.f.Close()
		s.f, s.opened = nil, false
		return fmt.Errorf("forward: write %s: %w", s.Dir, err)
	}
	s.size += int64(n)
	s.last = last
	return nil
}

func (s *Files) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// rotate starts a new file when there is none, the day changed or the file is full.
func (s *Files) rotate(firstSeq int64) error {
	now := s.now()
	maxBytes := s.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	if s.f != nil && s.day == now.Format("20060102") && s.size < maxBytes {
		return nil
	}
	if s.f != nil {
		if err := s.f.Close(); err != nil {
			return fmt.Errorf("forward: close %s: %w", s.f.Name(), err)
		}
	}
	name := filepath.Join(s.Dir, fmt.Sprintf("auditevent-%s-%012d.ndjson", now.Format("20060102T150405.000000000Z"), firstSeq))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		s.f = nil
		return fmt.Errorf("forward: new audit file: %w", err)
	}
	s.f, s.size, s.day = f, 0, now.Format("20060102")
	return syncDir(s.Dir)
}

// open finds the newest file, cuts a torn last line and reads which seq it reached.
func (s *Files) open() error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("forward: audit file directory: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(s.Dir, "auditevent-*.ndjson"))
	if err != nil || len(names) == 0 {
		s.opened = err == nil
		return err
	}
	slices.Sort(names)
	newest := names[len(names)-1]
	f, err := os.OpenFile(newest, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("forward: open %s: %w", newest, err)
	}
	size, last, err := lastLine(f)
	if err == nil {
		err = f.Truncate(size)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("forward: read %s: %w", newest, err)
	}
	s.f, s.size, s.last, s.opened = f, size, max(s.last, seqOf(last)), true
	if day, ok := strings.CutPrefix(filepath.Base(newest), "auditevent-"); ok && len(day) >= 8 {
		s.day = day[:8]
	}
	return nil
}

// lastLine returns where the file's complete lines end and the last of them.
func lastLine(f *os.File) (int64, []byte, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	tail := min(st.Size(), 4<<20)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, st.Size()-tail); err != nil && err != io.EOF {
		return 0, nil, err
	}
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return st.Size() - tail, nil, nil
	}
	complete := buf[:end]
	return st.Size() - tail + int64(end) + 1, complete[bytes.LastIndexByte(complete, '\n')+1:], nil
}

// seqOf reads an AuditEvent line's seq in the chain; 0 when it has none.
func seqOf(line []byte) int64 {
	var ev auditevent.AuditEvent
	if json.Unmarshal(line, &ev) != nil {
		return 0
	}
	for _, x := range ev.Extension {
		if x.URL == auditevent.SequenceExtension {
			n, _ := strconv.ParseInt(x.ValueString, 10, 64)
			return n
		}
	}
	return 0
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("forward: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("forward: sync %s: %w", dir, err)
	}
	return nil
}
