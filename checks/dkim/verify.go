package dkim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/lookup"
	"github.com/whymail/whymail/internal/mailaddr"
)

// maxSignatures bounds how many signatures are verified (each costs a key
// lookup and a hash of the body).
const maxSignatures = 16

// VerifyMessage verifies every DKIM-Signature of the message (up to 16),
// looking keys up through r, and returns one result per signature in
// header order. An error means the message could not be read as a message.
func VerifyMessage(ctx context.Context, r lookup.Resolver, msg []byte) ([]Signature, error) {
	if bytes.HasPrefix(msg, []byte("From ")) {
		// An mbox separator line ("From sender date"), not a header field.
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
	}
	sigs, err := signatureTags(msg)
	if err != nil {
		return nil, err
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	// A message may end after its header section with no empty line
	// (RFC 5322 §3.5: the body is optional); go-msgauth wants the line.
	if !bytes.Contains(msg, []byte("\n\r\n")) && !bytes.Contains(msg, []byte("\n\n")) {
		if !bytes.HasSuffix(msg, []byte("\n")) {
			msg = append(msg[:len(msg):len(msg)], '\r', '\n')
		}
		msg = append(msg[:len(msg):len(msg)], '\r', '\n')
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT:        txtFunc(ctx, r),
		MaxVerifications: maxSignatures,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, err
	}
	out := make([]Signature, 0, len(verifs))
	for i, v := range verifs {
		s := Signature{Domain: v.Domain}
		if i < len(sigs) {
			s.Selector = sigs[i]["s"]
			if s.Domain == "" {
				s.Domain = sigs[i]["d"]
			}
		}
		s.Result, s.Reason = classify(v.Err)
		out = append(out, s)
	}
	return out, nil
}

// classify names a go-msgauth verification error with RFC 8601's results.
func classify(err error) (result authres.ResultValue, reason string) {
	switch {
	case err == nil:
		return authres.ResultPass, "signature verified"
	case dkim.IsTempFail(err):
		result = authres.ResultTempError
	case dkim.IsPermFail(err):
		result = authres.ResultPermError
	default:
		result = authres.ResultFail
	}
	return result, strings.TrimPrefix(err.Error(), "dkim: ")
}

// txtFunc answers go-msgauth's key lookups from our resolver, keeping
// DNS failures temporary (temperror) and NXDOMAIN permanent (permerror).
func txtFunc(ctx context.Context, r lookup.Resolver) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		txts, a, err := lookup.TXT(ctx, r, name)
		if err != nil {
			return nil, &net.DNSError{Err: string(lookup.ErrStatus(err)), Name: name, IsTemporary: true}
		}
		if a.Status() == lookup.StatusNXDomain {
			return nil, &net.DNSError{Err: "NXDOMAIN", Name: name, IsNotFound: true}
		}
		return txts, nil
	}
}

// signatureTags returns the tags of each DKIM-Signature header field in
// order (for s=, which go-msgauth does not return), or an error when the
// header section cannot be read.
func signatureTags(msg []byte) ([]map[string]string, error) {
	br := bufio.NewReader(bytes.NewReader(msg))
	var fields []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			fields = append(fields, cur.String())
			cur.Reset()
		}
	}
	line := 0
	for {
		l, err := br.ReadString('\n')
		if l == "" && err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		line++
		t := strings.TrimRight(l, "\r\n")
		if t == "" {
			break
		}
		if t[0] == ' ' || t[0] == '\t' {
			if cur.Len() == 0 {
				return nil, fmt.Errorf("line %d: continuation line before any header field", line)
			}
			cur.WriteString(t)
			continue
		}
		if !strings.Contains(t, ":") {
			if line == 1 && strings.HasPrefix(t, "From ") {
				continue // mbox separator
			}
			return nil, fmt.Errorf("line %d: %q is not a header field (no colon)", line, trunc(t, 40))
		}
		flush()
		cur.WriteString(t)
		if err == io.EOF {
			break
		}
	}
	flush()
	var out []map[string]string
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ":")
		if !strings.EqualFold(strings.TrimSpace(name), "DKIM-Signature") {
			continue
		}
		m := map[string]string{}
		tags, _ := ParseTagList(value)
		for _, t := range tags {
			m[t.Name] = strings.Join(strings.Fields(t.Value), "")
		}
		out = append(out, m)
	}
	return out, nil
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// readMessage reads the sent message once for the DKIM check.
func readMessage(p *checks.Pass) (string, []byte, error) {
	name, msg, err := p.SentMessage()
	if err != nil {
		return name, nil, p.SourceFailed(p.Ticket.Sources.Message, err, checks.SenderAuth)
	}
	if _, err := signatureTags(msg); err != nil {
		return name, nil, checks.Inputf(name, 0, "not a readable email message: %v", err)
	}
	return name, msg, nil
}

// messageSelectors returns the s= of the message's signatures whose d=
// is domain (their keys live under it), in order, without repeats.
func messageSelectors(msg []byte, domain string) []string {
	tags, _ := signatureTags(msg)
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		if s := t["s"]; s != "" && strings.EqualFold(t["d"], domain) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// verifyMessage verifies the sent message, read from name, and reports
// each signature and what it means for sender-auth.
func verifyMessage(p *checks.Pass, name string, msg []byte, domain string, res *Result) error {
	sigs, err := VerifyMessage(p.Context, p.DNS, msg)
	if err != nil {
		return checks.Inputf(name, 0, "not a readable email message: %v", err)
	}
	res.Signatures = sigs
	rec := "message"
	if len(sigs) == 0 {
		p.Report(checks.Finding{ID: idUnsigned, Severity: checks.Warning, Record: rec,
			Cause: checks.SenderAuth, Verdict: checks.Possible, Strength: checks.Direct,
			Message: fmt.Sprintf("%s has no DKIM-Signature: DMARC can then pass only through aligned SPF, which breaks when mail is forwarded", name),
			Steps:   []string{"turn on DKIM signing for " + domain + " in the mail platform"}})
		return nil
	}
	var alignedPass, alignedBad, otherPass []Signature
	temp := 0
	for _, s := range sigs {
		aligned := mailaddr.Aligned(s.Domain, domain, false)
		data := map[string]any{"d": s.Domain, "s": s.Selector, "result": s.Result, "reason": s.Reason, "aligned": aligned}
		sev := checks.OK
		switch s.Result {
		case "pass":
			if aligned {
				alignedPass = append(alignedPass, s)
			} else {
				otherPass = append(otherPass, s)
			}
		case "temperror":
			sev = checks.Warning
			temp++
		default:
			sev = checks.Error
			if aligned {
				alignedBad = append(alignedBad, s)
			}
		}
		al := "aligned with " + domain
		if !aligned {
			al = "not aligned with " + domain
		}
		p.Report(checks.Finding{ID: idSignature, Severity: sev, Record: rec, Data: data,
			Message: fmt.Sprintf("DKIM-Signature d=%s s=%s: %s (%s; %s)", s.Domain, s.Selector, s.Result, s.Reason, al)})
	}
	verdict := func(id string, v checks.Verdict, st checks.Strength, format string, args ...any) {
		p.Report(checks.Finding{ID: id, Severity: checks.Info, Record: rec, Cause: checks.SenderAuth, Verdict: v, Strength: st,
			Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(alignedPass) > 0:
		s := alignedPass[0]
		verdict(idMsgAligned, checks.RuledOut, checks.Direct, "the message's DKIM signature d=%s s=%s verifies and aligns with %s, so DKIM does not explain the problem", s.Domain, s.Selector, domain)
	case len(alignedBad) > 0:
		s := alignedBad[0]
		verdict(idMsgAlignedBad, checks.Likely, checks.Direct, "the message's DKIM signature d=%s s=%s does not verify (%s: %s): receivers treat the message as unsigned by %s", s.Domain, s.Selector, s.Result, s.Reason, domain)
	case len(otherPass) > 0:
		s := otherPass[0]
		verdict(idMsgOtherOnly, checks.Possible, checks.Direct, "the message is signed only by d=%s, which does not align with %s: DKIM cannot make DMARC pass for %s", s.Domain, domain, domain)
	case temp == len(sigs):
		verdict(idMsgDNSFailed, checks.Unknown, checks.Direct, "the message's DKIM keys could not be looked up (DNS failed): verification could not finish")
	default:
		verdict(idMsgNoneVerifies, checks.Possible, checks.Direct, "no DKIM signature of the message verifies for %s", domain)
	}
	return nil
}
