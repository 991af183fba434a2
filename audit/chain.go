package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The hash chain. Every stream entry carries, beside its payload (a record or a checkpoint),
// its sequence number "seq" and "prev", the digest of the entry before it, both assigned by
// appendScript inside Redis so that every replica's entries are numbered and linked in the
// one order the stream holds them, in the same single round trip as the XADD. A digest is
// SHA-256 over the entry's kind and payload, computed by the writer before the call (Redis
// scripts offer no SHA-256, and hashing in Lua would cost more than the write). The links make
// a removed, changed, reordered or inserted entry visible on its own; the signed checkpoints
// (checkpoint.go) fold the digests into a running chain value (Link), so that an entry
// rewritten together with every link after it still fails against a signature that nobody
// without the gateway's key can make.

// Kinds of stream entries, each the name of the field holding its payload.
const (
	KindRecord     = "record"
	KindCheckpoint = "checkpoint"
)

// Genesis is the "prev" of the first entry and the chain value before it.
var Genesis = hex.EncodeToString(make([]byte, sha256.Size))

// appendScript appends one entry: KEYS[1] the stream, KEYS[2] its head (the last entry's seq,
// digest and id); ARGV[1] the kind, ARGV[2] the payload, ARGV[3] its digest, ARGV[4] a
// checkpoint's signature or "", ARGV[5] the genesis digest. It returns the new id and seq.
var appendScript = redis.NewScript(`
local head = redis.call('HMGET', KEYS[2], 'seq', 'digest')
local seq, prev = 1, ARGV[5]
if head[1] then
  seq = tonumber(head[1]) + 1
  prev = head[2]
end
local id
if ARGV[4] == '' then
  id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2], 'seq', seq, 'prev', prev)
else
  id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2], 'sig', ARGV[4], 'seq', seq, 'prev', prev)
end
redis.call('HSET', KEYS[2], 'seq', seq, 'digest', ARGV[3], 'id', id)
return {id, seq}
`)

// Digest is the SHA-256 of an entry's kind and payload, as its successor's "prev" names it.
func Digest(kind string, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{'\n'})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// Link folds one entry into the running chain value: SHA-256 over the previous value, the
// entry's seq (8 bytes, big-endian) and its digest. Both hex strings must be SHA-256 digests;
// a malformed one folds in as it is, so that the result cannot match a signed value.
func Link(chain string, seq int64, digest string) string {
	h := sha256.New()
	c, _ := hex.DecodeString(chain)
	h.Write(c)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	h.Write(b[:])
	d, err := hex.DecodeString(digest)
	if err != nil {
		d = []byte(digest)
	}
	h.Write(d)
	return hex.EncodeToString(h.Sum(nil))
}

// Entry is one stream entry as stored.
type Entry struct {
	// ID is the stream id (milliseconds-sequence).
	ID   string
	Seq  int64
	Prev string
	// Kind is KindRecord or KindCheckpoint; Payload is its JSON exactly as stored, Sig a
	// checkpoint's signature.
	Kind    string
	Payload []byte
	Sig     string
	// Problem says why the entry is not a well-formed chained entry ("" when it is).
	Problem string
}

// Digest is the entry's digest, as the next entry's Prev should name it.
func (e Entry) Digest() string { return Digest(e.Kind, e.Payload) }

// Record decodes a record entry.
func (e Entry) Record() (Record, error) {
	var r Record
	if e.Kind != KindRecord {
		return r, fmt.Errorf("audit: entry %s is a %s, not a record", e.ID, e.Kind)
	}
	if err := json.Unmarshal(e.Payload, &r); err != nil {
		return r, fmt.Errorf("audit: entry %s: decode record: %w", e.ID, err)
	}
	return r, nil
}

// entryOf reads a stream message. A message that is not a chained entry is returned with its
// Problem set, never dropped: Verify must see it.
func entryOf(m redis.XMessage) Entry {
	e := Entry{ID: m.ID}
	for _, kind := range []string{KindRecord, KindCheckpoint} {
		if s, ok := m.Values[kind].(string); ok {
			e.Kind, e.Payload = kind, []byte(s)
		}
	}
	e.Sig, _ = m.Values["sig"].(string)
	e.Prev, _ = m.Values["prev"].(string)
	seq, _ := m.Values["seq"].(string)
	n, err := strconv.ParseInt(seq, 10, 64)
	switch {
	case e.Kind == "":
		e.Problem = "it holds neither a record nor a checkpoint"
	case err != nil || n < 1:
		e.Problem = "it carries no sequence number"
	case len(e.Prev) != len(Genesis):
		e.Problem = "it names no previous entry"
	default:
		e.Seq = n
	}
	return e
}

// errNoEntry is what an empty range is when one entry was asked for.
var errNoEntry = errors.New("audit: no such entry")
