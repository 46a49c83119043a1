package ses

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/whymail/whymail/checks/suppression"
	"github.com/whymail/whymail/internal/httpapi/apitest"
	"github.com/whymail/whymail/source"
)

const (
	testKeyID  = "AKIAWHYMAILTEST00001"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYwhymailSECRET"
)

// fakeSES answers as the SES v2 API documents GetSuppressedDestination:
// GET /v2/email/suppression/addresses/{EmailAddress}, signed with SigV4
// for the service "ses" in the region, answering 200
// {"SuppressedDestination": {"EmailAddress", "Reason", "LastUpdateTime"
// (epoch seconds), "Attributes": {"MessageId", "FeedbackId"}}}, or 404 with
// X-Amzn-ErrorType NotFoundException when the address is not on the list.
// https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetSuppressedDestination.html
// A key the fake does not know is 403 UnrecognizedClientException
// (https://docs.aws.amazon.com/ses/latest/APIReference-V2/CommonErrors.html).
func fakeSES(t testing.TB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-RequestId", "a6a1f2c4-0000-4c1e-9e55-000000000001")
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testKeyID+"/") || !strings.Contains(auth, "/eu-west-1/ses/aws4_request") || r.Header.Get("X-Amz-Date") == "" {
			w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
			w.WriteHeader(403)
			io.WriteString(w, `{"message":"The security token included in the request is invalid."}`)
			return
		}
		addr, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v2/email/suppression/addresses/")
		if r.Method != "GET" || !ok {
			w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
			w.WriteHeader(404)
			io.WriteString(w, `{"message":null}`)
			return
		}
		addr, _ = url.PathUnescape(addr)
		switch addr {
		case "alice@example.com":
			io.WriteString(w, `{"SuppressedDestination":{"Attributes":{"FeedbackId":"0102017a-feedback","MessageId":"0102017a-message"},"EmailAddress":"alice@example.com","LastUpdateTime":1.79516892E9,"Reason":"BOUNCE"}}`)
		case "bob@example.org":
			io.WriteString(w, `{"SuppressedDestination":{"EmailAddress":"bob@example.org","LastUpdateTime":1793347200,"Reason":"COMPLAINT"}}`)
		default:
			w.Header().Set("X-Amzn-ErrorType", "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.sesv2/")
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"Email address `+addr+` does not exist on your suppression list."}`)
		}
	})
}

// isolate keeps the SDK to the test's credentials: no shared files, no
// instance metadata.
func isolate(t *testing.T, endpoint string) {
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_SESV2", endpoint)
}

func read(ctx context.Context, rcpts ...string) (string, error) {
	st, err := source.OpenStream(source.KindSuppressions, "ses:eu-west-1")
	if err != nil {
		return "", err
	}
	rc, err := st.Open(ctx, source.Query{Recipients: rcpts})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestSuppressed(t *testing.T) {
	srv := httptest.NewServer(fakeSES(t))
	defer srv.Close()
	isolate(t, srv.URL)
	doc, err := read(context.Background(), "alice@example.com", "bob@example.org", "carol+x@example.com")
	if err != nil {
		t.Fatal(err)
	}
	name := "Amazon SES account-level suppression list in eu-west-1 (API)"
	var got []string
	f, err := suppression.Read(strings.NewReader(doc), name, func(e suppression.Entry) error {
		got = append(got, e.Address+" "+e.Reason+" "+e.Created.UTC().Format(time.RFC3339))
		return nil
	})
	if err != nil || f.Provider != suppression.SES {
		t.Fatalf("%v %v\n%s", f, err, doc)
	}
	want := []string{"alice@example.com BOUNCE 2026-11-20T10:02:00Z", "bob@example.org COMPLAINT 2026-10-30T08:00:00Z"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Not listed: an empty list, still SES's.
	doc, err = read(context.Background(), "dan@example.com")
	n := 0
	f, err2 := suppression.Read(strings.NewReader(doc), name, func(suppression.Entry) error { n++; return nil })
	if err != nil || err2 != nil || n != 0 || f.Provider != suppression.SES {
		t.Errorf("not listed: %v %v %d %q", err, err2, n, doc)
	}
}

func TestWrongKey(t *testing.T) {
	srv := httptest.NewServer(fakeSES(t))
	defer srv.Close()
	isolate(t, srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAOTHER")
	_, err := read(context.Background(), "alice@example.com")
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || !strings.Contains(err.Error(), "AWS credentials") || strings.Contains(err.Error(), testSecret) {
		t.Errorf("err %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, err = read(context.Background(), "alice@example.com")
	if err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("no credentials: %v", err)
	}
}

func TestSpecs(t *testing.T) {
	for _, spec := range []string{"ses:", "ses:us-east", "ses:US-EAST-1", "ses:us-east-1/x"} {
		if _, err := source.Open(source.KindSuppressions, spec); err == nil {
			t.Errorf("%s: no error", spec)
		}
	}
	if _, err := source.Open(source.KindLog, "ses:us-east-1"); err == nil || !strings.Contains(err.Error(), "SNS") {
		t.Errorf("log: %v", err)
	}
	s, err := source.Open(source.KindSuppressions, "ses:ap-southeast-2")
	if err != nil || !strings.Contains(s.Describe(), "Amazon SES") || !strings.Contains(s.Describe(), "ap-southeast-2") {
		t.Errorf("%v %v", s, err)
	}
}

func TestFailures(t *testing.T) {
	apitest.Failures(t, testSecret, fakeSES(t), func(ctx context.Context, t *testing.T, base string) (string, error) {
		isolate(t, base)
		return read(ctx, "alice@example.com")
	})
}

const fuzzSeed = `{"SuppressedDestination":{"EmailAddress":"a@example.com","LastUpdateTime":1795687320,"Reason":"BOUNCE"}}`

type bodyTransport []byte

func (b *bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(*b)), Request: r}, nil
}

// FuzzAnswer feeds answers through the SDK's decoder and the driver:
// whatever it accepts, the suppression check reads.
func FuzzAnswer(f *testing.F) {
	f.Add([]byte(fuzzSeed))
	f.Add([]byte(`{"SuppressedDestination":{"EmailAddress":"a\u0000@example.com","LastUpdateTime":"x","Reason":"BOUNCE"}}`))
	f.Add([]byte(`{"SuppressedDestination":{}}`))
	f.Add([]byte(`{}`))
	f.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	f.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	f.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	f.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	f.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// One client for all inputs: loading the SDK's configuration is the
	// slow part, the decoding is what is fuzzed.
	var body bodyTransport
	s := &Suppressions{Region: "us-east-1", HTTP: &http.Client{Transport: &body}}
	f.Fuzz(func(t *testing.T, b []byte) {
		body = b
		rc, err := s.Open(context.Background(), source.Query{Recipients: []string{"a@example.com"}})
		if err != nil {
			if bytes.Equal(b, []byte(fuzzSeed)) {
				t.Fatalf("the seed: %v", err)
			}
			return
		}
		doc, _ := io.ReadAll(rc)
		if _, err := suppression.Read(bytes.NewReader(doc), s.Describe(), func(suppression.Entry) error { return nil }); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
	})
}
