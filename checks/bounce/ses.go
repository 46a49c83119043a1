package bounce

import (
	"encoding/json"
	"strings"

	"github.com/whymail/whymail/internal/smtpreply"
)

// sesNotification is an Amazon SES event notification as SES sends it by
// email or SNS: notificationType Bounce, Complaint or Delivery.
type sesNotification struct {
	Type       string `json:"notificationType"`
	EventType  string `json:"eventType"`
	SNSMessage string `json:"Message"` // an SNS envelope around the notification
	Bounce     *struct {
		BounceType        string `json:"bounceType"`
		ReportingMTA      string `json:"reportingMTA"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		FeedbackType         string `json:"complaintFeedbackType"`
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
	} `json:"delivery"`
	Mail struct {
		MessageID     string `json:"messageId"`
		CommonHeaders struct {
			From    []string `json:"from"`
			To      []string `json:"to"`
			Subject string   `json:"subject"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// parseSES reads an SES notification from the text of a message, if the
// text holds one; it reports whether it did.
func (p *parser) parseSES(text string) bool {
	i, j := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}')
	if i < 0 || j < i || !strings.Contains(text[i:j], `"notificationType"`) && !strings.Contains(text[i:j], `"eventType"`) && !strings.Contains(text[i:j], `"Message"`) {
		return false
	}
	raw := text[i : j+1]
	var n sesNotification
	if json.Unmarshal([]byte(raw), &n) != nil {
		// Mail transports fold long lines; SES's own mails show "!\n ".
		raw = strings.NewReplacer("!\n ", "", "!\r\n ", "", "\r\n", "", "\n", "").Replace(raw)
		if json.Unmarshal([]byte(raw), &n) != nil {
			return false
		}
	}
	if n.SNSMessage != "" && n.Type == "" {
		var inner sesNotification
		if json.Unmarshal([]byte(n.SNSMessage), &inner) != nil {
			return false
		}
		n = inner
	}
	if n.Type == "" {
		n.Type = n.EventType
	}
	b := p.b
	b.Format = "amazonses"
	b.Original.MessageID = n.Mail.MessageID
	b.Original.Subject = n.Mail.CommonHeaders.Subject
	b.Original.From = strings.Join(n.Mail.CommonHeaders.From, ", ")
	b.Original.To = strings.Join(n.Mail.CommonHeaders.To, ", ")
	switch {
	case n.Type == "Bounce" && n.Bounce != nil:
		b.Kind = DSN
		b.ReportingMTA = typed(n.Bounce.ReportingMTA)
		for _, r := range n.Bounce.BouncedRecipients {
			diag := typed(r.DiagnosticCode)
			c := smtpreply.ClassifyStatus(r.Status, diag)
			if n.Bounce.BounceType == "Transient" {
				c = asDelayed(c)
			}
			b.Recipients = append(b.Recipients, Recipient{Address: r.EmailAddress, Action: parseAction(r.Action), Status: r.Status, Diagnostic: diag, Class: c})
		}
	case n.Type == "Complaint" && n.Complaint != nil:
		b.Kind = Feedback
		b.FeedbackType = n.Complaint.FeedbackType
		if b.FeedbackType == "" {
			b.FeedbackType = "abuse"
		}
		for _, r := range n.Complaint.ComplainedRecipients {
			b.Recipients = append(b.Recipients, Recipient{Address: r.EmailAddress, Action: Failed, Class: smtpreply.Class{Reason: smtpreply.Spam, Text: "complaint"}})
		}
	case n.Type == "Delivery" && n.Delivery != nil:
		b.Kind = DSN
		for _, a := range n.Delivery.Recipients {
			c := smtpreply.Classify(n.Delivery.SMTPResponse)
			c.Reason, c.Cause = smtpreply.Delivered, ""
			b.Recipients = append(b.Recipients, Recipient{Address: a, Action: Delivered, Status: c.Status, Diagnostic: n.Delivery.SMTPResponse, RemoteMTA: n.Delivery.ReportingMTA, Class: c})
		}
	default:
		return false
	}
	return len(b.Recipients) > 0
}
