package dkim

import "strings"

// A commonSelector is a DKIM selector that mail platforms publish by
// default, probed when the agent names none. A selector is any label the
// signer chose (RFC 6376 §3.1), so no list is complete: findings say the
// list was probed and ask for the selector when it finds nothing.
type commonSelector struct {
	Name string
	Who  string // who uses it by default; "" when it is a generic name
}

// CommonSelectors are probed in this order. Amazon SES is absent: its
// selectors are per-domain tokens that cannot be guessed.
var CommonSelectors = []commonSelector{
	{"google", "Google Workspace"},
	{"selector1", "Microsoft 365"},
	{"selector2", "Microsoft 365"},
	{"s1", "SendGrid"},
	{"s2", "SendGrid"},
	{"smtpapi", "SendGrid (legacy)"},
	{"em", ""},
	{"k1", "Mailchimp / Mandrill"},
	{"k2", "Mailchimp / Mandrill"},
	{"k3", "Mailchimp / Mandrill"},
	{"mandrill", "Mandrill"},
	{"mte1", "Mailchimp Transactional"},
	{"mte2", "Mailchimp Transactional"},
	{"pm", "Postmark"},
	{"krs", "Mailgun"},
	{"mx", "Mailgun (legacy)"},
	{"smtp", "Mailgun (legacy)"},
	{"mailjet", "Mailjet"},
	{"mlsend", "MailerSend"},
	{"mlsend2", "MailerSend"},
	{"resend", "Resend"},
	{"cm", "Campaign Monitor"},
	{"ctct1", "Constant Contact"},
	{"ctct2", "Constant Contact"},
	{"everlytickey1", "Everlytic"},
	{"everlytickey2", "Everlytic"},
	{"zendesk1", "Zendesk"},
	{"zendesk2", "Zendesk"},
	{"fm1", "Fastmail"},
	{"fm2", "Fastmail"},
	{"fm3", "Fastmail"},
	{"protonmail", "Proton Mail"},
	{"protonmail2", "Proton Mail"},
	{"protonmail3", "Proton Mail"},
	{"sig1", "iCloud Mail"},
	{"zoho", "Zoho Mail"},
	{"zmail", "Zoho Mail"},
	{"mxvault", ""},
	{"dkim", ""},
	{"default", "cPanel and other hosting panels"},
	{"mail", "Brevo, Yandex and others"},
}

// espTargets recognise who hosts a key from the target of the selector's
// CNAME chain (the usual way an ESP lets a customer publish its key).
var espTargets = []struct{ Suffix, Who string }{
	{".onmicrosoft.com.", "Microsoft 365"},
	{".sendgrid.net.", "SendGrid"},
	{".mcsv.net.", "Mailchimp"},
	{".mandrillapp.com.", "Mandrill"},
	{".dkim.amazonses.com.", "Amazon SES"},
	{".mailgun.org.", "Mailgun"},
	{".mtasv.net.", "Postmark"},
	{".pmta.postmarkapp.com.", "Postmark"},
	{".sparkpostmail.com.", "SparkPost"},
	{".hubspotemail.net.", "HubSpot"},
	{".zendesk.com.", "Zendesk"},
	{".fmhosted.com.", "Fastmail"},
	{".protonmail.ch.", "Proton Mail"},
	{".mailjet.com.", "Mailjet"},
	{".mlsend.com.", "MailerSend"},
	{".createsend.com.", "Campaign Monitor"},
	{".everlytic.net.", "Everlytic"},
	{".brevo.com.", "Brevo"},
	{".sendinblue.com.", "Brevo"},
	{".zoho.com.", "Zoho"},
	{".mktomail.com.", "Marketo"},
	{".salesforce.com.", "Salesforce"},
	{".exacttarget.com.", "Salesforce Marketing Cloud"},
	{".secureserver.net.", "GoDaddy"},
}

// espOf names the ESP whose DNS name target belongs to, or "".
func espOf(target string) string {
	t := strings.ToLower(target)
	if !strings.HasSuffix(t, ".") {
		t += "."
	}
	for _, e := range espTargets {
		if strings.HasSuffix(t, e.Suffix) {
			return e.Who
		}
	}
	return ""
}
