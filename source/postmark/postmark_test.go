package postmark

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/maillog"
	"github.com/whymail/whymail/checks/suppression"
	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/source"
)

const testToken = "pm-server-token-0000-1111"

// fakePostmark answers as the Postmark API documents:
//   - GET /message-streams/{stream}/suppressions/dump?emailaddress=
//     https://postmarkapp.com/developer/api/suppressions-api#suppression-dump
//   - GET /bounces?count=&offset=&emailFilter= {"TotalCount", "Bounces"}
//     https://postmarkapp.com/developer/api/bounce-api#bounces
//   - GET /messages/outbound?recipient=&count=&offset= {"TotalCount", "Messages"}
//     https://postmarkapp.com/developer/api/messages-api#outbound-message-search
//   - GET /messages/outbound/{id}/details with MessageEvents
//     https://postmarkapp.com/developer/api/messages-api#outbound-message-details
//   - a wrong token is 401 {"ErrorCode": 10, "Message": "..."}
//     https://postmarkapp.com/developer/api/overview#response-codes
//
// The bounces list has 501 entries for the address, so it takes two pages.
func fakePostmark(t testing.TB) http.Handler {
	mux := http.NewServeMux()
	j := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /message-streams/{stream}/suppressions/dump", func(w http.ResponseWriter, r *http.Request) {
		var ss []map[string]string
		if r.PathValue("stream") == "outbound" && r.URL.Query().Get("emailaddress") == "alice@example.com" {
			ss = append(ss, map[string]string{"EmailAddress": "alice@example.com", "SuppressionReason": "HardBounce", "Origin": "Recipient", "CreatedAt": "2026-11-20T10:02:00-05:00"})
		}
		j(w, map[string]any{"Suppressions": ss})
	})
	mux.HandleFunc("GET /bounces", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		count, _ := strconv.Atoi(q.Get("count"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		if count > 500 || count < 1 {
			w.WriteHeader(422)
			j(w, map[string]any{"ErrorCode": 600, "Message": "Count must be between 1 and 500"})
			return
		}
		total := 0
		if q.Get("emailFilter") == "alice@example.com" {
			total = 501
		}
		var bs []map[string]any
		for i := offset; i < total && i < offset+count; i++ {
			typ, when := "SoftBounce", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute)
			if i == 0 {
				typ, when = "HardBounce", time.Date(2026, 11, 22, 9, 31, 0, 0, time.UTC)
			}
			bs = append(bs, map[string]any{"ID": 4323372036854775807 - i, "Type": typ, "TypeCode": 1, "Name": "Hard bounce", "Tag": "reset",
				"MessageID": fmt.Sprintf("m-%d", i), "ServerID": 23, "MessageStream": "outbound", "Description": "The server was unable to deliver your message",
				"Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist", "Email": "alice@example.com", "From": "noreply@app.example.net",
				"BouncedAt": when.Format(time.RFC3339), "DumpAvailable": true, "Inactive": i == 0, "CanActivate": true, "Subject": "Reset your password"})
		}
		j(w, map[string]any{"TotalCount": total, "Bounces": bs})
	})
	mux.HandleFunc("GET /messages/outbound", func(w http.ResponseWriter, r *http.Request) {
		var ms []map[string]any
		if r.URL.Query().Get("recipient") == "alice@example.com" {
			ms = append(ms, map[string]any{"Tag": "welcome", "MessageID": "0ac29aee-e1cd-480d-b08d-4f48548ff48d", "MessageStream": "outbound",
				"To": []map[string]any{{"Email": "alice@example.com", "Name": nil}}, "Recipients": []string{"alice@example.com"},
				"ReceivedAt": "2026-11-01T08:00:00Z", "From": "noreply@app.example.net", "Subject": "Welcome", "Status": "Sent"})
		}
		j(w, map[string]any{"TotalCount": len(ms), "Messages": ms})
	})
	mux.HandleFunc("GET /messages/outbound/{id}/details", func(w http.ResponseWriter, r *http.Request) {
		j(w, map[string]any{"MessageID": r.PathValue("id"), "MessageStream": "outbound", "From": "noreply@app.example.net", "Status": "Sent",
			"MessageEvents": []map[string]any{
				{"Recipient": "alice@example.com", "Type": "Delivered", "ReceivedAt": "2026-11-01T08:00:02Z",
					"Details": map[string]any{"DeliveryMessage": "smtp;250 2.0.0 OK", "DestinationServer": "mx1.example.com", "DestinationIP": "192.0.2.10"}},
				{"Recipient": "alice@example.com", "Type": "Opened", "ReceivedAt": "2026-11-01T09:00:00Z", "Details": map[string]any{"Summary": "opened", "BounceID": 0}},
			}})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Postmark-Server-Token") != testToken {
			w.WriteHeader(401)
			j(w, map[string]any{"ErrorCode": 10, "Message": "The Server Token you provided in the X-Postmark-Server-Token request header was invalid."})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func readKind(ctx context.Context, kind source.Kind, rcpt string) (map[string]string, error) {
	sts, err := source.OpenStreams(kind, "postmark:")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, st := range sts {
		rc, err := st.Open(ctx, source.Query{Recipients: []string{rcpt}})
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[st.Describe()] = string(b)
	}
	return out, nil
}

func serve(t *testing.T) {
	srv := httptest.NewServer(fakePostmark(t))
	t.Cleanup(srv.Close)
	t.Setenv(EnvToken, testToken)
	t.Setenv(EnvURL, srv.URL)
}

func TestSuppressions(t *testing.T) {
	serve(t)
	docs, err := readKind(context.Background(), source.KindSuppressions, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	name := "Postmark outbound stream suppressions (API)"
	var got []suppression.Entry
	f, err := suppression.Read(strings.NewReader(docs[name]), name, func(e suppression.Entry) error { got = append(got, e); return nil })
	if err != nil || f.Provider != suppression.Postmark || len(got) != 1 || got[0].Reason != "HardBounce" {
		t.Errorf("%v %v %+v\n%s", f, err, got, docs[name])
	}
}

func TestLog(t *testing.T) {
	serve(t)
	docs, err := readKind(context.Background(), source.KindLog, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	doc := docs["Postmark bounces and message events (API)"]
	f, err := maillog.Read(strings.NewReader(doc), "pm", time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[maillog.Kind]int{}
	for _, e := range f.Events {
		kinds[e.Kind]++
	}
	// 501 bounces over two pages: 1 hard, 500 soft; a delivery and an open.
	if kinds[maillog.Bounced] != 1 || kinds[maillog.Deferred] != 500 || kinds[maillog.Delivered] != 1 || kinds[maillog.Opened] != 1 {
		t.Errorf("kinds %v", kinds)
	}
}

func TestFailures(t *testing.T) {
	for _, kind := range []source.Kind{source.KindSuppressions, source.KindLog} {
		t.Run(kind.String(), func(t *testing.T) {
			apitest.Failures(t, testToken, fakePostmark(t), func(ctx context.Context, t *testing.T, base string) (string, error) {
				t.Setenv(EnvToken, testToken)
				t.Setenv(EnvURL, base)
				docs, err := readKind(ctx, kind, "alice@example.com")
				b, _ := json.Marshal(docs)
				return string(b), err
			})
		})
	}
}

func FuzzDecoders(f *testing.F) {
	f.Add([]byte(`{"Suppressions":[{"EmailAddress":"a@example.com","SuppressionReason":"HardBounce","Origin":"Recipient","CreatedAt":"2026-11-20T10:02:00Z"}]}`))
	f.Add([]byte(`{"TotalCount":1,"Bounces":[{"ID":1,"Type":"HardBounce","Email":"a@example.com","BouncedAt":"2026-11-20T10:02:00Z"}]}`))
	f.Add([]byte(`{"MessageEvents":[{"Recipient":"a@example.com","Type":"Delivered","ReceivedAt":"x","Details":{"DeliveryMessage":1}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ss, err := DecodeDump(b); err == nil {
			doc, _ := json.Marshal(map[string]any{"Suppressions": ss})
			if _, err := suppression.Read(strings.NewReader(string(doc)), "pm", func(suppression.Entry) error { return nil }); err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
		}
		var recs []map[string]any
		if bs, _, err := DecodePage[Bounce](b, "Bounces"); err == nil {
			for _, x := range bs {
				recs = append(recs, BounceRecord(x))
			}
		}
		var d Details
		if json.Unmarshal(b, &d) == nil {
			recs = append(recs, EventRecords(d)...)
		}
		var buf strings.Builder
		for _, r := range recs {
			line, _ := json.Marshal(r)
			buf.Write(append(line, '\n'))
		}
		if _, err := maillog.Read(strings.NewReader(buf.String()), "pm", time.Now(), "a@example.com"); err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
	})
}
