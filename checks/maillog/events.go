package maillog

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/jsonpos"
)

// eventReader reads provider event files: a JSON array, or JSON values one
// after another (one a line or pretty-printed), each an event of SendGrid's
// event webhook, an Amazon SES notification or event record (raw or in an
// SNS envelope), a Mailgun event (raw, in a webhook's "event-data", or a
// page of the events API's "items"), or a Postmark webhook.
type eventReader struct {
	*fileState
	seenFormat map[string]bool
	records    int
}

func (r *eventReader) formats() []string {
	var out []string
	for f := range r.seenFormat {
		out = append(out, f)
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{"events"}
	}
	return out
}

func (r *eventReader) read(rd io.Reader) error {
	r.seenFormat = map[string]bool{}
	err := jsonpos.Read(rd, r.name, jsonpos.Options{Sequence: true}, func(e *jsonpos.Element) error {
		var raw json.RawMessage
		if err := e.Decode(&raw); err != nil {
			return err
		}
		return r.record(e.Line, raw)
	})
	if pe, ok := err.(*jsonpos.Error); ok {
		return pe.Input()
	}
	if err != nil {
		return err
	}
	r.cov.Lines = r.records
	return nil
}

// record reads one JSON value.
func (r *eventReader) record(line int, raw json.RawMessage) error {
	if r.skim(line, raw) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		r.records++
		r.count(line, unparsed, string(raw))
		return nil
	}
	// Mailgun events API page: {"items": [...], "paging": {...}}.
	if items, ok := m["items"]; ok {
		var list []json.RawMessage
		if json.Unmarshal(items, &list) == nil {
			for _, it := range list {
				var probe struct {
					Address string `json:"address"`
					Event   string `json:"event"`
				}
				json.Unmarshal(it, &probe)
				if probe.Event == "" && probe.Address != "" {
					return &checks.InputError{File: r.name, Line: line, Err: &checks.MisplacedError{Holds: "a Mailgun suppression list", Not: "events", Belongs: checks.InputSuppressions}}
				}
				if err := r.record(line, it); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// Mailgun webhook: {"signature": {...}, "event-data": {...}}.
	if ed, ok := m["event-data"]; ok {
		return r.record(line, ed)
	}
	// SNS envelope: {"Type": "Notification", "Message": "<JSON string>"}.
	if msg, ok := m["Message"]; ok && str(m["Type"]) == "Notification" {
		var inner string
		if json.Unmarshal(msg, &inner) == nil && strings.HasPrefix(strings.TrimSpace(inner), "{") {
			return r.record(line, json.RawMessage(inner))
		}
	}
	r.records++
	var kind int
	switch {
	case has(m, "notificationType") || has(m, "eventType") && has(m, "mail"):
		r.seenFormat["ses"] = true
		kind = r.ses(line, m)
	case has(m, "RecordType"):
		r.seenFormat["postmark"] = true
		kind = r.postmark(line, m)
	case has(m, "event") && (has(m, "sg_event_id") || has(m, "sg_message_id") || has(m, "email")):
		r.seenFormat["sendgrid"] = true
		kind = r.sendgrid(line, m)
	case has(m, "event") && (has(m, "recipient") || has(m, "delivery-status") || has(m, "severity")):
		r.seenFormat["mailgun"] = true
		kind = r.mailgun(line, m)
	case has(m, "email") && has(m, "created"):
		return &checks.InputError{File: r.name, Line: line, Err: &checks.MisplacedError{Holds: "a SendGrid suppression list", Not: "events", Belongs: checks.InputSuppressions}}
	case has(m, "SuppressedDestinationSummaries") || has(m, "Suppressions"):
		return &checks.InputError{File: r.name, Line: line, Err: &checks.MisplacedError{Holds: "a suppression list", Not: "events", Belongs: checks.InputSuppressions}}
	default:
		kind = unparsed
	}
	text := string(raw)
	r.count(line, kind, text)
	return nil
}

func has(m map[string]json.RawMessage, k string) bool { _, ok := m[k]; return ok }

// str returns a JSON string's value, or a number's text.
func str(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if v, ok := plainJSON(raw); ok {
		return v
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// plainJSON returns the value of a JSON string of printable ASCII and no
// escape, or the text of a JSON number: what unmarshalling them gives,
// without the reflection (an event's timestamp was two Unmarshal calls,
// one failing).
func plainJSON(raw []byte) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		in := raw[1 : len(raw)-1]
		for _, c := range in {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				return "", false
			}
		}
		return string(in), true
	}
	if isJSONNumber(raw) {
		return string(raw), true
	}
	return "", false
}

// isJSONNumber reports whether b is a JSON number, as RFC 8259 has it:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - j
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// unixTime reads seconds since the epoch, integer or fractional.
func unixTime(raw json.RawMessage) time.Time {
	f, err := strconv.ParseFloat(str(raw), 64)
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

func isoTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// sendgrid reads one SendGrid event webhook event.
func (r *eventReader) sendgrid(line int, m map[string]json.RawMessage) int {
	t := unixTime(m["timestamp"])
	r.seen(t)
	email := str(m["email"])
	ev := str(m["event"])
	if !r.watch(email) {
		return understood
	}
	e := Event{Time: t, Source: r.source(line), Recipient: email,
		QueueID: str(m["sg_message_id"]), MessageID: strings.Trim(str(m["smtp-id"]), "<>"), DSN: str(m["status"])}
	switch ev {
	case "processed":
		e.Kind = Queued
	case "delivered":
		e.Kind, e.Reply = Delivered, str(m["response"])
	case "deferred":
		e.Kind, e.Reply = Deferred, str(m["response"])
		if a := str(m["attempt"]); a != "" {
			e.Delay = "attempt " + a
		}
	case "bounce", "blocked":
		e.Kind, e.Reply = Bounced, str(m["reason"])
		if str(m["type"]) == "blocked" || ev == "blocked" {
			e.Kind = Bounced // SendGrid: a block is a bounce the receiver may lift
			e.Delay = "type blocked"
		}
	case "dropped":
		// SendGrid did not send: "Bounced Address", "Unsubscribed
		// Address", "Spam Reporting Address", "Invalid", ...
		e.Kind, e.Reply = Dropped, str(m["reason"])
	case "open":
		e.Kind = Opened
	case "click":
		e.Kind = Clicked
	case "spamreport":
		e.Kind = Complaint
	case "unsubscribe", "group_unsubscribe":
		e.Kind = Unsubscribed
	default:
		return notRelevant
	}
	if e.Kind == Delivered || e.Kind == Deferred || e.Kind == Bounced {
		// On an attempt, "ip" is the address SendGrid sent from (on an
		// open or a click it is the reader's).
		e.SendingIP, _ = netip.ParseAddr(str(m["ip"]))
	}
	r.events = append(r.events, r.provider(e, "SendGrid"))
	return understood
}

// provider classifies a provider event, knowing that "dropped" means the
// provider's own suppression list.
func (r *eventReader) provider(e Event, name string) Event {
	if e.Kind == Dropped {
		e.Cause, e.Reason, e.Permanent, e.Provider = checks.Suppressed, ReasonSuppressed, true, name
		low := strings.ToLower(e.Reply)
		if !strings.Contains(low, "bounce") && !strings.Contains(low, "unsubscribe") && !strings.Contains(low, "spam") &&
			!strings.Contains(low, "suppress") && !strings.Contains(low, "invalid") && !strings.Contains(low, "block") {
			c := r.classified(Event{Kind: Rejected, Reply: e.Reply}, "")
			e.Cause, e.Reason = c.Cause, c.Reason
		}
		return e
	}
	return r.classified(e, e.DSN)
}

type sesMail struct {
	Timestamp   string   `json:"timestamp"`
	MessageID   string   `json:"messageId"`
	Source      string   `json:"source"`
	Destination []string `json:"destination"`
}

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Status         string `json:"status"`
	Action         string `json:"action"`
	DiagnosticCode string `json:"diagnosticCode"`
}

// ses reads an Amazon SES notification ("notificationType") or event
// record ("eventType").
func (r *eventReader) ses(line int, m map[string]json.RawMessage) int {
	typ := str(m["notificationType"])
	if typ == "" {
		typ = str(m["eventType"])
	}
	var mail sesMail
	json.Unmarshal(m["mail"], &mail)
	base := Event{Source: r.source(line), QueueID: mail.MessageID, From: mail.Source}
	add := func(e Event) {
		r.seen(e.Time)
		if r.watch(e.Recipient) {
			r.events = append(r.events, r.provider(e, "Amazon SES"))
		}
	}
	switch typ {
	case "Bounce":
		var b struct {
			BounceType, BounceSubType string
			Timestamp                 string
			ReportingMTA              string
			BouncedRecipients         []sesRecipient
		}
		json.Unmarshal(m["bounce"], &b)
		for _, rc := range b.BouncedRecipients {
			e := base
			e.Time, e.Recipient, e.DSN = isoTime(b.Timestamp), rc.EmailAddress, rc.Status
			e.Reply = strings.TrimSpace(strings.TrimPrefix(rc.DiagnosticCode, "smtp;"))
			e.Kind = Bounced
			switch {
			case b.BounceSubType == "Suppressed" || b.BounceSubType == "OnAccountSuppressionList":
				e.Kind = Dropped
				if e.Reply == "" {
					e.Reply = "Amazon SES " + b.BounceSubType + " bounce: the address is on a suppression list"
				}
			case b.BounceType == "Transient":
				e.Kind = Deferred
			}
			if e.Reply == "" {
				e.Reply = b.BounceType + " bounce, " + b.BounceSubType
			}
			add(e)
		}
	case "Complaint":
		var c struct {
			Timestamp             string
			ComplainedRecipients  []sesRecipient
			ComplaintFeedbackType string
		}
		json.Unmarshal(m["complaint"], &c)
		for _, rc := range c.ComplainedRecipients {
			e := base
			e.Time, e.Recipient, e.Kind, e.Reply = isoTime(c.Timestamp), rc.EmailAddress, Complaint, c.ComplaintFeedbackType
			add(e)
		}
	case "Delivery":
		var d struct {
			Timestamp    string
			Recipients   []string
			SMTPResponse string `json:"smtpResponse"`
			ReportingMTA string `json:"reportingMTA"`
			RemoteMtaIP  string `json:"remoteMtaIp"`
			Processing   int64  `json:"processingTimeMillis"`
		}
		json.Unmarshal(m["delivery"], &d)
		for _, rc := range d.Recipients {
			e := base
			e.Time, e.Recipient, e.Kind, e.Reply = isoTime(d.Timestamp), rc, Delivered, d.SMTPResponse
			e.Relay = d.RemoteMtaIP
			if d.Processing > 0 {
				e.Delay = (time.Duration(d.Processing) * time.Millisecond).String()
			}
			add(e)
		}
	case "DeliveryDelay":
		var d struct {
			Timestamp         string
			DelayType         string
			ExpirationTime    string
			ReportingMTA      string
			DelayedRecipients []sesRecipient
		}
		json.Unmarshal(m["deliveryDelay"], &d)
		for _, rc := range d.DelayedRecipients {
			e := base
			e.Time, e.Recipient, e.Kind, e.DSN = isoTime(d.Timestamp), rc.EmailAddress, Deferred, rc.Status
			e.Reply = strings.TrimSpace(strings.TrimPrefix(rc.DiagnosticCode, "smtp;"))
			if e.Reply == "" {
				e.Reply = d.DelayType
			}
			if d.ExpirationTime != "" {
				e.Delay = "SES retries until " + d.ExpirationTime
			}
			add(e)
		}
	case "Reject":
		var rj struct{ Reason string }
		json.Unmarshal(m["reject"], &rj)
		for _, rc := range mail.Destination {
			e := base
			// SES refused to send it at all (a virus): it never left.
			e.Time, e.Recipient, e.Kind, e.Reply = isoTime(mail.Timestamp), rc, Rejected, "Amazon SES rejected the message: "+rj.Reason
			e.ByProvider = true
			add(e)
		}
	case "Send":
		for _, rc := range mail.Destination {
			e := base
			e.Time, e.Recipient, e.Kind = isoTime(mail.Timestamp), rc, Queued
			add(e)
		}
	case "Open", "Click":
		r.seen(isoTime(mail.Timestamp))
		for _, rc := range mail.Destination {
			e := base
			e.Time, e.Recipient, e.Kind = isoTime(mail.Timestamp), rc, Opened
			if typ == "Click" {
				e.Kind = Clicked
			}
			add(e)
		}
	default:
		// Rendering Failure, Subscription, AmazonSnsSubscriptionSucceeded.
		r.seen(isoTime(mail.Timestamp))
		return notRelevant
	}
	return understood
}

// mailgun reads one Mailgun event (events API item or webhook event-data).
func (r *eventReader) mailgun(line int, m map[string]json.RawMessage) int {
	t := unixTime(m["timestamp"])
	r.seen(t)
	rcpt := str(m["recipient"])
	ev := str(m["event"])
	if !r.watch(rcpt) {
		return understood
	}
	var ds struct {
		Code        json.Number `json:"code"`
		Message     string      `json:"message"`
		Description string      `json:"description"`
		MXHost      string      `json:"mx-host"`
		AttemptNo   json.Number `json:"attempt-no"`
	}
	json.Unmarshal(m["delivery-status"], &ds)
	var msg struct {
		Headers struct {
			MessageID string `json:"message-id"`
			From      string `json:"from"`
		} `json:"headers"`
	}
	json.Unmarshal(m["message"], &msg)
	reply := strings.TrimSpace(strings.TrimSpace(ds.Code.String() + " " + ds.Message))
	if ds.Description != "" && !strings.Contains(reply, ds.Description) {
		reply = strings.TrimSpace(reply + " " + ds.Description)
	}
	e := Event{Time: t, Source: r.source(line), Recipient: rcpt, QueueID: str(m["id"]),
		MessageID: strings.Trim(msg.Headers.MessageID, "<>"), From: msg.Headers.From, Relay: ds.MXHost, Reply: reply}
	if a := ds.AttemptNo.String(); a != "" {
		e.Delay = "attempt " + a
	}
	switch ev {
	case "accepted":
		e.Kind = Queued
	case "delivered":
		e.Kind = Delivered
	case "failed":
		e.Kind = Bounced
		if str(m["severity"]) == "temporary" {
			e.Kind = Deferred
		}
		switch str(m["reason"]) {
		case "suppress-bounce", "suppress-unsubscribe", "suppress-complaint":
			e.Kind = Dropped
			if e.Reply == "" {
				e.Reply = "Mailgun " + str(m["reason"])
			}
		}
		if e.Reply == "" {
			e.Reply = str(m["reason"])
		}
	case "rejected":
		e.Kind = Rejected
		var rj struct{ Reason, Description string }
		json.Unmarshal(m["reject"], &rj)
		if e.Reply == "" {
			e.Reply = strings.TrimSpace(rj.Reason + " " + rj.Description)
		}
	case "opened":
		e.Kind = Opened
	case "clicked":
		e.Kind = Clicked
	case "unsubscribed":
		e.Kind = Unsubscribed
	case "complained":
		e.Kind = Complaint
	default:
		return notRelevant
	}
	r.events = append(r.events, r.provider(e, "Mailgun"))
	return understood
}

// postmark reads one Postmark webhook (RecordType Delivery, Bounce,
// SpamComplaint, Open, Click, SubscriptionChange).
func (r *eventReader) postmark(line int, m map[string]json.RawMessage) int {
	typ := str(m["RecordType"])
	e := Event{Source: r.source(line), QueueID: str(m["MessageID"]), From: str(m["From"])}
	switch typ {
	case "Delivery":
		e.Time, e.Recipient, e.Kind, e.Reply = isoTime(str(m["DeliveredAt"])), str(m["Recipient"]), Delivered, str(m["Details"])
	case "Bounce":
		e.Time, e.Recipient = isoTime(str(m["BouncedAt"])), str(m["Email"])
		e.Reply = strings.TrimSpace(str(m["Details"]))
		if d := str(m["Description"]); e.Reply == "" {
			e.Reply = d
		}
		switch str(m["Type"]) {
		case "SoftBounce", "Transient", "DnsError":
			e.Kind = Deferred
		case "AutoResponder":
			e.Kind = Delivered // an out-of-office reply: it arrived
		default:
			e.Kind = Bounced
		}
		if str(m["Type"]) != "" {
			e.Delay = "Postmark " + str(m["Type"])
		}
	case "SpamComplaint":
		e.Time, e.Recipient, e.Kind = isoTime(str(m["BouncedAt"])), str(m["Email"]), Complaint
	case "Open":
		e.Time, e.Recipient, e.Kind = isoTime(str(m["ReceivedAt"])), str(m["Recipient"]), Opened
	case "Click":
		e.Time, e.Recipient, e.Kind = isoTime(str(m["ReceivedAt"])), str(m["Recipient"]), Clicked
	case "SubscriptionChange":
		e.Time, e.Recipient = isoTime(str(m["ChangedAt"])), str(m["Recipient"])
		if str(m["SuppressSending"]) == "true" || string(m["SuppressSending"]) == "true" {
			e.Kind, e.Reply = Unsubscribed, str(m["SuppressionReason"])
		} else {
			r.seen(e.Time)
			return notRelevant
		}
	default:
		return notRelevant
	}
	r.seen(e.Time)
	if r.watch(e.Recipient) {
		r.events = append(r.events, r.provider(e, "Postmark"))
	}
	return understood
}

// Top-level keys skim looks for.
const (
	kItems = 1 << iota
	kEventData
	kMessage
	kNotificationType
	kEventType
	kMail
	kRecordType
	kEvent
	kSGEventID
	kSGMessageID
	kEmail
	kRecipient
	kDeliveryStatus
	kSeverity
)

var skimKeys = map[string]int{"items": kItems, "event-data": kEventData, "Message": kMessage,
	"notificationType": kNotificationType, "eventType": kEventType, "mail": kMail, "RecordType": kRecordType,
	"event": kEvent, "sg_event_id": kSGEventID, "sg_message_id": kSGMessageID, "email": kEmail,
	"recipient": kRecipient, "delivery-status": kDeliveryStatus, "severity": kSeverity}

// skim reads a record that names no watched address (by the prefilter,
// and without escapes, so its bytes are its text) and is a SendGrid or
// Mailgun event from its top-level keys, without decoding it: such an
// event is understood, and only its time counts. It reports false for
// any other record, which record reads in full; what it reads is what
// record would (FuzzPrefilter compares the two).
func (r *eventReader) skim(line int, raw []byte) bool {
	if r.slow || bytes.IndexByte(raw, '\\') >= 0 || r.mayName(raw) {
		return false
	}
	keys, ts, ok := topKeys(raw)
	if !ok {
		return false
	}
	has := func(k int) bool { return keys&k != 0 }
	switch {
	case has(kItems|kEventData|kMessage|kNotificationType|kRecordType) || has(kEventType) && has(kMail):
		return false
	case has(kEvent) && has(kSGEventID|kSGMessageID|kEmail):
		r.seenFormat["sendgrid"] = true
	case has(kEvent) && has(kRecipient|kDeliveryStatus|kSeverity):
		r.seenFormat["mailgun"] = true
	default:
		return false
	}
	r.records++
	r.seen(unixTime(ts))
	r.count(line, understood, "")
	return true
}

// topKeys returns the keys of skimKeys a JSON object (valid, without
// escapes) has at its top level, and the value of its last "timestamp".
func topKeys(b []byte) (keys int, ts json.RawMessage, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return 0, nil, true
	}
	for i < len(b) {
		if b[i] != '"' {
			return 0, nil, false
		}
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return 0, nil, false
		}
		key := b[i+1 : i+1+j]
		i = skipSpace(b, i+j+2)
		if i >= len(b) || b[i] != ':' {
			return 0, nil, false
		}
		i = skipSpace(b, i+1)
		end, okv := skipValue(b, i)
		if !okv {
			return 0, nil, false
		}
		if k, found := skimKeys[string(key)]; found {
			keys |= k
		} else if string(key) == "timestamp" {
			ts = json.RawMessage(b[i:end])
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return keys, ts, true
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value at b[i] (valid JSON
// without escapes).
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return 0, false
		}
		return i + j + 2, true
	case '{', '[':
		depth := 0
		for k := i; k < len(b); k++ {
			switch b[k] {
			case '"':
				j := bytes.IndexByte(b[k+1:], '"')
				if j < 0 {
					return 0, false
				}
				k += j + 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return k + 1, true
				}
			}
		}
		return 0, false
	}
	k := i
	for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' && b[k] != ' ' && b[k] != '\t' && b[k] != '\n' && b[k] != '\r' {
		k++
	}
	return k, k > i
}
