package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/tagvalue"
)

// A Key is a parsed DKIM key record (RFC 6376 §3.6.1).
type Key struct {
	Version  string   // v=, "" when absent
	KeyType  string   // k=, "rsa" when absent
	Hashes   []string // h=, nil when absent (all allowed)
	Services []string // s=, nil when absent ("*")
	Flags    []string // t=
	Notes    string   // n=
	P        string   // p= with whitespace removed
	Revoked  bool     // p= present and empty (RFC 6376 §3.6.1)
	Bits     int      // RSA modulus size; 256 for Ed25519
	// Encoding names how p= was encoded: "pkix", "pkcs1" or "raw".
	Encoding string
	Tags     []Tag // as written, in order
}

// Testing reports whether t=y: the domain is testing DKIM, and verifiers
// must not treat failures differently from unsigned mail (RFC 6376 §3.6.1).
func (k *Key) Testing() bool { return has(k.Flags, "y") }

// Tag is one tag=value of a tag list (RFC 6376 §3.2).
type Tag = tagvalue.Tag

// A Problem is one thing wrong (or worth saying) about a record, with the
// tag it concerns.
type Problem = tagvalue.Problem

// ParseTagList splits a tag list (RFC 6376 §3.2). It returns the tags it
// could read and a problem for each piece that breaks the grammar:
//
//	tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
//	tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//	tag-name  = ALPHA *ALNUMPUNC        ; ALNUMPUNC = ALPHA / DIGIT / "_"
//	tag-value = [ tval *( 1*(WSP / FWS) tval ) ] ; tval = 1*VALCHAR
//	VALCHAR   = %x21-3A / %x3C-7E
//
// Duplicate tags make the whole list invalid (§3.2), reported as errors.
func ParseTagList(s string) ([]Tag, []Problem) {
	var tags []Tag
	var probs []Problem
	seen := map[string]bool{}
	for _, pc := range tagvalue.DKIM.Split(s) {
		name, value := pc.Name, pc.Value
		switch {
		case pc.Empty():
			probs = append(probs, tagvalue.ProblemIDf(idEmptyTag, checks.Warning, "", "empty tag between semicolons (piece %d)", pc.Index+1))
			continue
		case !pc.IsTag:
			probs = append(probs, tagvalue.ProblemIDf(idNotTagValue, checks.Error, "", "%q is not tag=value", pc.Text))
			continue
		case !tagvalue.IsName(name):
			probs = append(probs, tagvalue.ProblemIDf(idTagName, checks.Error, "", "%q is not a valid tag name (a letter, then letters, digits or _)", name))
			continue
		}
		if c, at := badValueChar(value); c != 0 {
			probs = append(probs, tagvalue.ProblemIDf(idValueChar, checks.Error, name, "invalid character %q at offset %d of the value", c, at))
		}
		if seen[name] {
			probs = append(probs, tagvalue.ProblemIDf(idTagRepeated, checks.Error, name, "tag appears more than once: the whole record is invalid (RFC 6376 §3.2)"))
			continue
		}
		seen[name] = true
		tags = append(tags, pc.Tag)
	}
	return tags, probs
}

// badValueChar returns the first byte that is neither VALCHAR nor
// whitespace, and its offset.
func badValueChar(v string) (byte, int) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x21 && c <= 0x7e && c != ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		return c, i
	}
	return 0, 0
}

// ParseKey parses a DKIM key record (RFC 6376 §3.6.1, RFC 8463 for
// Ed25519, RFC 8301 for key sizes and hashes) and lints it. The key is nil
// when the record cannot be used as a key at all; problems explain why.
// Severity of problems: Error means verifiers reject signatures made with
// the key; Warning means it works but should change; Info is worth knowing.
func ParseKey(record string) (*Key, []Problem) {
	tags, probs := ParseTagList(record)
	k := &Key{KeyType: "rsa", Tags: tags}
	bad := false
	for _, p := range probs {
		if p.Severity == checks.Error {
			bad = true
		}
	}
	add := func(id string, sev checks.Severity, tag, format string, args ...any) {
		probs = append(probs, tagvalue.ProblemIDf(id, sev, tag, format, args...))
		if sev == checks.Error {
			bad = true
		}
	}
	var p *string
	for i, t := range tags {
		v := t.Value
		switch t.Name {
		case "v":
			k.Version = v
			// RFC 6376 §3.6.1: v= is optional, but when present it must be
			// first and exactly "DKIM1"; otherwise the record is discarded.
			if v != "DKIM1" {
				add(idVersionWrong, checks.Error, "v", "version %q: it must be exactly DKIM1, so verifiers discard this record", v)
			} else if i != 0 {
				add(idVersionNotFirst, checks.Error, "v", "v=DKIM1 must be the first tag (RFC 6376 §3.6.1), so verifiers may discard this record")
			}
		case "k":
			k.KeyType = strings.ToLower(v)
			switch k.KeyType {
			case "rsa", "ed25519":
			default:
				add(idKeyType, checks.Error, "k", "unknown key type %q (rsa or ed25519): verifiers ignore this key", v)
			}
		case "h":
			k.Hashes = colonList(v)
			if !has(k.Hashes, "sha256") {
				// RFC 8301 §3.1: sha1 must not be used; a key limited to
				// it can verify nothing.
				add(idHashSHA1, checks.Error, "h", "h=%s does not allow sha256: verifiers that follow RFC 8301 reject rsa-sha1, so no signature with this key verifies", v)
			}
		case "s":
			k.Services = colonList(v)
			if !has(k.Services, "*") && !has(k.Services, "email") {
				add(idService, checks.Error, "s", "service type %q includes neither email nor *: the key may not be used for email", v)
			}
		case "t":
			k.Flags = colonList(v)
			if k.Testing() {
				add(idTesting, checks.Warning, "t", "t=y: the domain says it is testing DKIM; receivers may treat signatures with this key as unsigned (RFC 6376 §3.6.1). Remove t=y once signing works")
			}
			if has(k.Flags, "s") {
				add(idStrict, checks.Info, "t", "t=s: the i= domain of signatures must equal d= exactly, no subdomains")
			}
		case "n":
			k.Notes = v
		case "p":
			pv := v
			p = &pv
		case "g":
			// RFC 4871's granularity tag, removed by RFC 6376.
			add(idGranularity, checks.Info, "g", "g= is obsolete (RFC 4871, removed by RFC 6376 §C.2): modern verifiers ignore it")
		default:
			add(idUnknownTag, checks.Info, t.Name, "unknown tag %s= is ignored by verifiers", t.Name)
		}
	}
	if p == nil {
		add(idNoKey, checks.Error, "p", "no p= tag: this is not a usable DKIM key record (p= is required, RFC 6376 §3.6.1)")
		return nil, probs
	}
	k.P = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, *p)
	if k.P == "" {
		k.Revoked = true
		add(idRevoked, checks.Warning, "p", "empty p=: the key is revoked (RFC 6376 §3.6.1); signatures with this selector fail")
		return k, probs
	}
	der, err := base64.StdEncoding.DecodeString(k.P)
	if err != nil {
		add(idBase64, checks.Error, "p", "p= is not valid base64 (%v): verifiers cannot read the key", cleanB64Err(err))
		return nil, probs
	}
	switch k.KeyType {
	case "rsa":
		lintRSA(k, der, add)
	case "ed25519":
		lintEd25519(k, der, add)
	default:
		return nil, probs
	}
	if bad || k.Bits == 0 {
		return nil, probs
	}
	return k, probs
}

func lintRSA(k *Key, der []byte, add func(string, checks.Severity, string, string, ...any)) {
	var pub *rsa.PublicKey
	if anyKey, err := x509.ParsePKIXPublicKey(der); err == nil {
		switch key := anyKey.(type) {
		case *rsa.PublicKey:
			pub, k.Encoding = key, "pkix"
		case ed25519.PublicKey:
			add(idEd25519AsRSA, checks.Error, "k", "p= holds an Ed25519 key but k= says rsa (or is absent): set k=ed25519 and publish the raw 32-byte key (RFC 8463 §4.2)")
			return
		default:
			add(idNotRSA, checks.Error, "p", "p= holds a %T, not an RSA key", anyKey)
			return
		}
	} else if key, err2 := x509.ParsePKCS1PublicKey(der); err2 == nil {
		// RFC 6376 §3.6.1 says SubjectPublicKeyInfo, yet §C shows
		// RSAPublicKey; erratum 3017 allows both, most verifiers accept both.
		pub, k.Encoding = key, "pkcs1"
	} else {
		add(idRSAParse, checks.Error, "p", "p= is base64 but not an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1): %v", err)
		return
	}
	k.Bits = pub.N.BitLen()
	switch {
	case k.Bits < 1024:
		// RFC 8301 §3.2: verifiers must not accept keys under 1024 bits.
		add(idTooShort, checks.Error, "p", "RSA key in p= is %d bits: verifiers must reject keys under 1024 bits (RFC 8301 §3.2), so its signatures count as invalid. Publish a 2048-bit key", k.Bits)
	case k.Bits < 2048:
		add(idWeak, checks.Warning, "p", "RSA key in p= is %d bits: still accepted, but 2048 bits is recommended (RFC 8301 §3.2) and some receivers score 1024-bit keys lower. Rotate to a 2048-bit key", k.Bits)
	}
	if k.Bits > 4096 {
		// RFC 8301 §3.2: verifiers need only validate keys up to 4096 bits.
		add(idTooLong, checks.Warning, "p", "RSA key in p= is %d bits: verifiers need not handle keys over 4096 bits (RFC 8301 §3.2)", k.Bits)
	}
}

func lintEd25519(k *Key, der []byte, add func(string, checks.Severity, string, string, ...any)) {
	if len(der) == ed25519.PublicKeySize {
		k.Bits, k.Encoding = 256, "raw"
		return
	}
	if anyKey, err := x509.ParsePKIXPublicKey(der); err == nil {
		if _, ok := anyKey.(ed25519.PublicKey); ok {
			add(idEd25519SPKI, checks.Error, "p", "p= holds an Ed25519 key wrapped in SubjectPublicKeyInfo (%d bytes): RFC 8463 §4.2 wants the bare 32-byte key, and verifiers reject this one", len(der))
			return
		}
		add(idEd25519Type, checks.Error, "p", "k=ed25519 but p= holds a %T", anyKey)
		return
	}
	add(idEd25519Size, checks.Error, "p", "k=ed25519 but p= is %d bytes, not a 32-byte Ed25519 key (RFC 8463 §4.2)", len(der))
}

func cleanB64Err(err error) string {
	if e, ok := err.(base64.CorruptInputError); ok {
		return fmt.Sprintf("bad data at byte %d", int64(e))
	}
	return err.Error()
}

func colonList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ":") {
		if e = strings.ToLower(strings.Trim(e, " \t\r\n")); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func has(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
