// Package ses is the source driver for Amazon SES (API v2). A spec
// "ses:REGION" gives, as suppressions, the account-level suppression list
// looked up for the recipient with GetSuppressedDestination (not listed:
// NotFoundException), written as the `aws sesv2
// list-suppressed-destinations` JSON the suppression check reads from a
// file.
//
// It calls through the AWS SDK for Go v2 with its standard credential
// chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the
// shared files, web identity, SSO, the container and instance roles); the
// SDK's own AWS_ENDPOINT_URL_SESV2 (or AWS_ENDPOINT_URL) replaces the
// regional endpoint. The SDK's retries are off: as the other HTTP drivers
// (internal/httpapi), a call has a timeout of its own within the run's
// deadline and a 429 is retried after its Retry-After while the deadline
// allows; errors never hold a credential.
//
// SES events (a configuration set's SNS, SQS or CloudWatch destinations)
// are not read live: the SNS notifications are given as a log file.
package ses

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/whymail/whymail/internal/httpapi"
	"github.com/whymail/whymail/internal/textinput"
	"github.com/whymail/whymail/source"
)

func init() { source.Register("ses", Driver{}) }

// service names the API in errors.
const service = "Amazon SES API"

// credHint says where the credentials come from, for a refused one.
const credHint = "the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the role) and ses:GetSuppressedDestination"

// Driver opens "ses:REGION" specs.
type Driver struct{}

var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// Open returns the account-level suppression list of the region.
func (Driver) Open(kind source.Kind, spec string) (source.Source, error) {
	region := strings.TrimPrefix(spec, "ses:")
	if !regionName.MatchString(region) {
		return nil, fmt.Errorf("ses:REGION: %q is not an AWS region (ses:us-east-1)", region)
	}
	switch kind {
	case source.KindSuppressions:
		return &Suppressions{Region: region}, nil
	case source.KindLog:
		return nil, fmt.Errorf("SES events are not read live: give the SNS notifications of a configuration set as a log file")
	}
	return nil, fmt.Errorf("Amazon SES cannot give %s", kind)
}

// Suppressions is the account-level suppression list of one region.
type Suppressions struct {
	Region string
	// HTTP, when set, is the client the SDK uses (tests).
	HTTP *http.Client
	// Timeout bounds each call within the run's deadline; 0 is
	// httpapi.DefaultTimeout.
	Timeout time.Duration

	once    sync.Once
	client  *sesv2.Client
	secrets []string
	err     error
}

func (s *Suppressions) Describe() string {
	return "Amazon SES account-level suppression list in " + s.Region + " (API)"
}

// setup loads the SDK's configuration once: region, credential chain,
// endpoint.
func (s *Suppressions) setup(ctx context.Context) error {
	s.once.Do(func() {
		opts := []func(*config.LoadOptions) error{
			config.WithRegion(s.Region),
			config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			s.err = fmt.Errorf("%s: the AWS configuration: %v", service, err)
			return
		}
		if cfg.Credentials != nil {
			// Scrubbed from every error, should a server echo one.
			if c, err := cfg.Credentials.Retrieve(ctx); err == nil {
				s.secrets = []string{c.SecretAccessKey, c.SessionToken, c.AccessKeyID}
			} else {
				s.err = fmt.Errorf("%s: no AWS credentials found (%s)", service, s.scrub(firstLine(err.Error())))
				return
			}
		}
		s.client = sesv2.NewFromConfig(cfg, func(o *sesv2.Options) {
			if s.HTTP != nil {
				o.HTTPClient = s.HTTP
			}
		})
	})
	return s.err
}

// Open looks q's recipients up and returns what is listed as the
// list-suppressed-destinations JSON.
func (s *Suppressions) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	if err := s.setup(ctx); err != nil {
		return nil, err
	}
	all := []Summary{}
	for _, r := range q.Recipients {
		d, err := s.lookup(ctx, r)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		sum, err := FromDestination(d)
		if err != nil {
			return nil, fmt.Errorf("%s: the answer is not the JSON it documents: %v", service, err)
		}
		all = append(all, sum)
	}
	return io.NopCloser(bytes.NewReader(Document(all))), nil
}

// lookup calls GetSuppressedDestination for addr: nil when not listed.
// A 429 is retried after its Retry-After while the deadline allows.
func (s *Suppressions) lookup(ctx context.Context, addr string) (*types.SuppressedDestination, error) {
	return httpapi.Retry(ctx, httpapi.DefaultRetries, httpapi.DefaultBudget, func() (*types.SuppressedDestination, time.Duration, error) {
		return s.call(ctx, addr)
	})
}

// call makes one call; for a 429 it returns how long to wait.
func (s *Suppressions) call(ctx context.Context, addr string) (*types.SuppressedDestination, time.Duration, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = httpapi.DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := s.client.GetSuppressedDestination(cctx, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(addr)})
	if err == nil {
		if out.SuppressedDestination == nil {
			return nil, 0, fmt.Errorf("%s: the answer is not the JSON it documents: no SuppressedDestination", service)
		}
		return out.SuppressedDestination, 0, nil
	}
	var nf *types.NotFoundException
	if errors.As(err, &nf) {
		return nil, 0, nil
	}
	if cctx.Err() != nil {
		return nil, 0, fmt.Errorf("%s did not answer in time (%s)", service, timeout)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		code := re.HTTPStatusCode()
		if code >= 200 && code < 300 {
			return nil, 0, fmt.Errorf("%s: the answer is not the JSON it documents: %s", service, s.scrub(firstLine(errors.Unwrap(re).Error())))
		}
		se := &httpapi.StatusError{Service: service, Code: code, Hint: credHint,
			Detail: fmt.Sprintf("%q", s.scrub(clip(firstLine(errors.Unwrap(re).Error()))))}
		if code == http.StatusTooManyRequests {
			return nil, httpapi.RetryAfter(re.Response.Header.Get("Retry-After"), time.Now()), se
		}
		return nil, 0, se
	}
	// No answer: a refused connection, a name that does not resolve.
	return nil, 0, fmt.Errorf("%s: %s", service, s.scrub(firstLine(unwrapAll(err).Error())))
}

// Summary is one entry of list-suppressed-destinations
// (SuppressedDestinationSummary).
type Summary struct {
	EmailAddress   string `json:"EmailAddress"`
	Reason         string `json:"Reason"`
	LastUpdateTime string `json:"LastUpdateTime"`
}

// FromDestination turns GetSuppressedDestination's answer into an entry.
func FromDestination(d *types.SuppressedDestination) (Summary, error) {
	addr := aws.ToString(d.EmailAddress)
	if addr == "" {
		return Summary{}, errors.New("no EmailAddress")
	}
	if c, _, bad := textinput.Control(addr); bad {
		return Summary{}, textinput.ControlError("EmailAddress", addr, c)
	}
	sum := Summary{EmailAddress: addr, Reason: string(d.Reason)}
	if d.LastUpdateTime != nil {
		sum.LastUpdateTime = d.LastUpdateTime.UTC().Format(time.RFC3339Nano)
	}
	return sum, nil
}

// Document writes entries as `aws sesv2 list-suppressed-destinations` does.
func Document(all []Summary) []byte {
	b, _ := json.Marshal(map[string]any{"SuppressedDestinationSummaries": all, "NextToken": nil})
	return b
}

func (s *Suppressions) scrub(t string) string {
	for _, k := range s.secrets {
		if k != "" {
			t = strings.ReplaceAll(t, k, "[redacted]")
		}
	}
	return t
}

// unwrapAll is the innermost error: the SDK wraps the operation, the
// request (with its URL, which holds the address) and the transport.
func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.ToValidUTF8(s, "?"), "\n")
	return s
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
