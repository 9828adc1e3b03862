// checklog: an independent check of esign's usage register with Go's golang.org/x/mod/sumdb/{note,tlog}
// (Debian golang-golang-x-mod-dev). Reads a directory: vkey, checkpoint, witness.vkey, tile/..., proofs.json.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type tiles struct{ dir string }

func (t tiles) Height() int { return 8 }
func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tl := range ts {
		// Go writes tile/<H>/<L>/...; tlog-tiles has no height element.
		p := strings.Replace(tl.Path(), "tile/8/", "tile/", 1)
		b, err := os.ReadFile(filepath.Join(t.dir, p))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

type proofs struct {
	Inclusion []struct {
		Index int64    `json:"index"`
		Body  string   `json:"body"`
		Leaf  string   `json:"leaf"`
		Proof []string `json:"proof"`
	} `json:"inclusion"`
	Consistency struct {
		Old     int64    `json:"old"`
		OldRoot string   `json:"old_root"`
		Proof   []string `json:"proof"`
	} `json:"consistency"`
}

func die(format string, a ...interface{}) { fmt.Printf("FAIL "+format+"\n", a...); os.Exit(1) }

func hash(b64 string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != 32 {
		die("bad hash %q", b64)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func main() {
	dir := os.Args[1]
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			die("%v", err)
		}
		return b
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(read("vkey"))))
	if err != nil {
		die("vkey: %v", err)
	}
	n, err := note.Open(read("checkpoint"), note.VerifierList(v))
	if err != nil {
		die("note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	root := hash(lines[2])
	fmt.Printf("OK note %s size %d\n", lines[0], size)

	// cosignature/v1 (c2sp.org/tlog-cosignature), verified by hand with crypto/ed25519.
	for _, wk := range strings.Fields(string(read("witness.vkey"))) {
		parts := strings.SplitN(wk, "+", 3)
		key, _ := base64.StdEncoding.DecodeString(parts[2])
		if len(key) != 33 || key[0] != 0x04 {
			die("witness key type")
		}
		id := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), key[1:]...))
		found := false
		for _, s := range n.UnverifiedSigs {
			raw, _ := base64.StdEncoding.DecodeString(s.Base64)
			if s.Name != parts[0] || !bytes.Equal(raw[:4], id[:4]) {
				continue
			}
			ts := binary.BigEndian.Uint64(raw[4:12])
			msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, n.Text)
			if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(msg), raw[12:]) {
				die("cosignature by %s does not verify", parts[0])
			}
			found = true
			fmt.Printf("OK cosignature %s time %d\n", parts[0], ts)
		}
		if !found {
			die("no cosignature by %s", parts[0])
		}
	}

	thr := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles{dir})
	th, err := tlog.TreeHash(size, thr)
	if err != nil || th != root {
		die("tiles do not give the root: %v", err)
	}
	fmt.Printf("OK tiles root\n")

	var p proofs
	if err := json.Unmarshal(read("proofs.json"), &p); err != nil {
		die("proofs.json: %v", err)
	}
	for _, inc := range p.Inclusion {
		leaf := hash(inc.Leaf)
		if inc.Body != "" {
			body, _ := base64.StdEncoding.DecodeString(inc.Body)
			if tlog.RecordHash(body) != leaf {
				die("leaf %d is not RecordHash(body)", inc.Index)
			}
		}
		var rp tlog.RecordProof
		for _, h := range inc.Proof {
			rp = append(rp, hash(h))
		}
		if err := tlog.CheckRecord(rp, size, root, inc.Index, leaf); err != nil {
			die("inclusion proof %d: %v", inc.Index, err)
		}
		own, err := tlog.ProveRecord(size, inc.Index, thr)
		if err != nil || tlog.CheckRecord(own, size, root, inc.Index, leaf) != nil {
			die("inclusion from tiles %d: %v", inc.Index, err)
		}
		fmt.Printf("OK inclusion %d\n", inc.Index)
	}
	c := p.Consistency
	if c.Old > 0 {
		var tp tlog.TreeProof
		for _, h := range c.Proof {
			tp = append(tp, hash(h))
		}
		if err := tlog.CheckTree(tp, size, root, c.Old, hash(c.OldRoot)); err != nil {
			die("consistency proof: %v", err)
		}
		fmt.Printf("OK consistency %d %d\n", c.Old, size)
	}
}
