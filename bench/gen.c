/* gen.c: voc-gen, the seeded corpus generator behind the benchmarks and the
 * larger integration tests. It writes synthetic B2B SaaS feedback (NPS
 * comments, survey answers, support tickets) as JSON Lines in the item form of
 * docs/protocol.md, or as CSV that `voc-collect file` maps without --map. The
 * text is composed from phrase banks, one per theme of the default rule set,
 * with synonyms, inflections, typos, shouting, emoji and two-theme items, so
 * the tokenizer and the rules see something close to what customers write.
 * Volume grows over the date range and a few themes trend up, so `voc top`
 * and trend queries have something to show. The same seed always gives the
 * same bytes: one xoshiro256** stream drives everything, nothing depends on
 * the clock, the locale or the platform. Optional malformed lines (bad JSON,
 * no text, score out of range, bad date, invalid UTF-8) are inserted at evenly
 * spaced positions so the reject path can be measured too. */
#include "common/alloc.h"
#include "common/err.h"
#include "common/opts.h"
#include "common/vtime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_EXIT_OK = 0, S_EXIT_RUNTIME = 1, S_EXIT_USAGE = 2 };

#define S_N(a) (sizeof(a) / sizeof((a)[0]))
#define S_BANK(a) a, S_N(a)
#define S_MAX_COUNT 1000000000LL /* keeps the malformed-position arithmetic in 64 bits */
#define S_MAX_DAYS 36600
#define S_TEXT_MAX 4096    /* composed text never exceeds this; adds that would are skipped */
#define S_SUBJECT_MAX 256
#define S_OUT_CAP (1u << 20)        /* output buffer */
#define S_OUT_SLACK (64u * 1024)    /* more than one escaped line can take */

static const voc_opt s_opts[] = {
    {"count", VOC_OPT_INT, "1000", NULL, "N", "items to generate"},
    {"seed", VOC_OPT_INT, "1", NULL, "S", "random seed; the same seed gives the same bytes"},
    {"format", VOC_OPT_STR, "jsonl", NULL, "FMT", "jsonl or csv"},
    {"start", VOC_OPT_STR, "2025-12-01", NULL, "DATE", "first day of created_at (UTC)"},
    {"days", VOC_OPT_INT, "365", NULL, "N", "days that created_at spreads over"},
    {"out", VOC_OPT_STR, NULL, NULL, "FILE", "write here instead of stdout (- is stdout)"},
    {"malformed", VOC_OPT_INT, "0", NULL, "N",
     "also write N malformed lines, evenly spaced (see above)"},
    {NULL},
};

/* ---- random numbers ------------------------------------------------------ */

/* xoshiro256** seeded through splitmix64: fast, small state, and the same
 * sequence on every platform. */
typedef struct s_rng {
    uint64_t s[4];
} s_rng;

static uint64_t s_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A stateless hash of one number: stable per-customer and per-account
 * properties without tables. */
static uint64_t s_mix(uint64_t x)
{
    return s_splitmix(&x);
}

static void s_rng_seed(s_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = s_splitmix(&seed);
}

static inline uint64_t s_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t s_next(s_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = s_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n < 2^32 (multiply-shift; the bias is far below
 * anything a corpus can show). */
static inline uint32_t s_below(s_rng *r, uint32_t n)
{
    return (uint32_t)(((s_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability pm per mille. */
static inline bool s_chance(s_rng *r, uint32_t pm)
{
    return s_below(r, 1000) < pm;
}

#define S_PICK(r, arr) ((arr)[s_below((r), (uint32_t)S_N(arr))])

/* ---- phrase banks --------------------------------------------------------
 *
 * Clauses start in lower case unless their first word is a name; the
 * composer capitalises at sentence starts. Slots are `$` and a letter:
 *   $t a time span     $n a small number   $k a ticket/invoice number
 *   $m an amount       $p a page or area   $d a device
 *   $w an intensifier  $a a person's name  $l the item's plan
 *   $f a wished-for feature                $i a third-party tool */

static const char *const s_slot_time[] = {
    "for two weeks",          "since Monday",       "all morning",
    "since the last update",  "for days now",       "three times this month",
    "every day this week",    "since we upgraded",  "since yesterday",
    "on and off all week",    "for over a month",   "again today",
    "since the new release",  "for the past hour",  "twice this week",
};
static const char *const s_slot_amount[] = {
    "$49", "$120", "$1,200", "€300", "£75", "$19.99", "€89", "$2,400", "$600", "£1,050",
};
static const char *const s_slot_page[] = {
    "the dashboard",   "the reports page", "search",          "the export screen",
    "the settings page", "the inbox view", "the analytics tab", "the admin console",
    "the customer list", "the timeline",   "the project board", "the billing page",
};
static const char *const s_slot_device[] = {
    "iPhone", "Android phone", "iPad", "Pixel 8", "Samsung tablet", "iPhone 15", "Galaxy S23",
};
static const char *const s_slot_intens[] = {
    "really", "very", "so", "extremely", "super", "incredibly", "pretty", "SO", "REALLY", "painfully",
};
static const char *const s_slot_name[] = {
    "Maria", "José", "Kenji", "Zoë", "Ahmed", "Chloé", "Sam", "Priya", "Björn", "Ana", "Łukasz",
    "Siobhán", "Tom", "Mei", "Olu",
};
static const char *const s_slot_feature[] = {
    "dark mode",         "bulk editing",       "custom fields",     "a calendar view",
    "keyboard shortcuts", "recurring tasks",   "an audit log",      "custom roles",
    "multi-language support", "a Gantt chart", "scheduled reports", "an offline mode",
    "templates",         "tags on everything", "a public roadmap",  "sub-tasks",
    "more granular permissions", "a Linux desktop app", "version history", "comments on records",
};
static const char *const s_slot_tool[] = {
    "Slack", "Salesforce", "Zapier", "HubSpot", "Jira", "Google Sheets", "Microsoft Teams",
};
static const char *const s_plan_names[] = {"free", "team", "business", "enterprise"};
static const char *const s_plan_display[] = {"Free", "Team", "Business", "Enterprise"};
static const char *const s_region_names[] = {"na", "emea", "apac"};

/* billing.refund */
static const char *const s_refund_short[] = {
    "refund please", "still waiting on my refund", "where is my refund??", "refund not received",
    "want my money back", "refunds take forever", "REFUND",
};
static const char *const s_refund_clause[] = {
    "I asked for a refund $t and still haven't received it",
    "we were promised a refund but nothing has arrived",
    "still waiting on the refund for the seats we removed",
    "the refund process is a nightmare",
    "your team refunded the wrong amount, only $m",
    "getting a refund should not take $n emails",
    "we cancelled within the trial window and were not refunded",
    "I want my money back for the months we couldn't use the product",
    "the refund you approved never showed up on our card",
    "refunds take $w long to process",
    "how do I request a refund for an annual plan?",
    "requested reimbursement for the unused licences $t, no answer",
    "can we get our money back for the downtime?",
    "you still owe us $m from the refund we were promised",
};
static const char *const s_refund_detail[] = {
    "our finance team keeps asking me about it",
    "the ticket number is #$k",
    "this is the second time I have had to chase a refund",
    "it was $m, not a small amount for us",
};
static const char *const s_refund_subject[] = {
    "Refund request", "Refund for unused seats", "Where is my refund?", "Money back request",
};

/* billing.double_charge */
static const char *const s_double_short[] = {
    "charged twice!!", "double charged", "duplicate charge", "billed two times", "charged 2x??",
};
static const char *const s_double_clause[] = {
    "we were charged twice for the same month",
    "my card was double-charged after the renewal",
    "there are two identical charges of $m on our statement",
    "you billed us twice for $n seats",
    "I see a duplicate charge since we moved to the $l plan",
    "the payment went through two times and nobody can explain why",
    "why was I charged twice this month?",
    "we keep getting charged for users we removed $t",
    "the upgrade charged the full price again instead of prorating",
    "our credit card got billed double",
};
static const char *const s_double_detail[] = {
    "please reverse the extra charge",
    "our bank flagged it as fraud",
    "the second charge is still pending",
    "the charges are both $m",
};
static const char *const s_double_subject[] = {
    "Charged twice", "Duplicate charge on card", "Double billing on invoice #$k",
};

/* billing.pricing */
static const char *const s_pricing_short[] = {
    "too expensive", "pricing is steep", "price hike again?", "not worth the money",
    "overpriced", "$$$",
};
static const char *const s_pricing_clause[] = {
    "the new pricing is $w steep for a small team",
    "the price went up $n% at renewal with no warning",
    "it's too expensive compared to the alternatives",
    "per-seat pricing punishes us for growing",
    "we can't justify the cost of the $l plan anymore",
    "the jump from Team to Business pricing is way too big",
    "your plans are confusing and overpriced",
    "I'd pay for it if the price were fair",
    "the cost keeps going up but the product doesn't get better",
    "why do I have to pay extra for basic features?",
    "the pricing page doesn't say what's actually included",
    "the price increase this year is hard to swallow",
};
static const char *const s_pricing_detail[] = {
    "we're looking at cheaper options",
    "our budget got cut this year",
    "a nonprofit discount would help",
    "we may downgrade at renewal",
};
static const char *const s_pricing_subject[] = {
    "Question about pricing", "Price increase at renewal", "Discount request",
};

/* billing.invoice */
static const char *const s_invoice_short[] = {
    "invoice wrong", "need a proper invoice", "VAT missing on invoice", "invoices???",
};
static const char *const s_invoice_clause[] = {
    "the invoice shows the wrong company name",
    "our invoices don't include the VAT number, so finance can't book them",
    "I can't find where to download past invoices",
    "invoice #$k has the wrong amount",
    "the billing address on our invoices is still the old one",
    "we need invoices in EUR, not USD",
    "invoicing emails go to someone who left the company $t",
    "the invoice total doesn't match what we were quoted",
    "please add a PO number field to invoices",
    "the billing portal keeps failing when I update the credit card",
};
static const char *const s_invoice_detail[] = {
    "accounts payable won't pay it like this",
    "our auditors need the corrected invoice",
    "we're on the $l plan if that helps",
};
static const char *const s_invoice_subject[] = {
    "Invoice #$k incorrect", "Need VAT on invoices", "Billing address change", "Invoice copy",
};

/* performance.slow */
static const char *const s_slow_short[] = {
    "slow", "sooo slow", "way too slow", "sluggish", "laggy", "very slow lately", "SLOW!!",
};
static const char *const s_slow_clause[] = {
    "$p is $w slow $t",
    "everything got slower after the last release",
    "pages take forever to load",
    "it takes $n seconds to open $p",
    "the app is sluggish with more than a few hundred records",
    "search is painfully slow",
    "typing lags in the editor",
    "loading $p feels like dial-up",
    "performance has gone downhill $t",
    "the whole UI freezes for a few seconds every time I switch tabs",
    "it used to be fast, now it crawls",
    "$p loads slowly for everyone in our office",
    "the slowness is killing our productivity",
};
static const char *const s_slow_detail[] = {
    "our team wastes hours a week waiting",
    "we're on fast internet so it's not us",
    "it's worse in the afternoon (US time)",
    "other tools load instantly",
};
static const char *const s_slow_subject[] = {
    "App very slow", "Performance issues", "Slow loading",
};

/* performance.timeout */
static const char *const s_timeout_short[] = {
    "timeouts", "request timed out", "504 again", "keeps timing out",
};
static const char *const s_timeout_clause[] = {
    "exports time out when the date range is longer than a month",
    "I keep getting a 504 gateway timeout on $p",
    "large reports time out before they finish",
    "the request timed out $n times today",
    "saving a big project times out and we lose our changes",
    "bulk updates fail with a timeout error",
    "API calls time out under load",
    "the page spins and then says \"operation timed out\"",
    "imports over $n MB always hit a timeout",
};
static const char *const s_timeout_detail[] = {
    "retrying sometimes works, sometimes not",
    "the error says \"Gateway Timeout\"",
    "it's blocking our month-end close",
};
static const char *const s_timeout_subject[] = {
    "Timeout errors", "504 on export", "Request timed out",
};

/* reliability.outage */
static const char *const s_outage_short[] = {
    "down again", "outage!!", "is the service down?", "site down", "DOWN AGAIN",
};
static const char *const s_outage_clause[] = {
    "the service was down for $n hours and there was nothing on the status page",
    "another outage $t, our whole team couldn't work",
    "you've had three outages this month",
    "the platform went down in the middle of our launch",
    "your status page said all systems operational while we were completely down",
    "we couldn't log in or load anything during the outage",
    "downtime like this is unacceptable for a paid product",
    "the app was unavailable for most of the morning",
    "is there an SLA credit for the downtime yesterday?",
};
static const char *const s_outage_detail[] = {
    "we need a proper incident report",
    "our customers noticed before we did",
    "please communicate faster during incidents",
};
static const char *const s_outage_subject[] = {
    "Service down?", "Outage today", "Cannot access anything",
};

/* reliability.crash */
static const char *const s_crash_short[] = {
    "crashes", "it crashed again", "app keeps crashing", "crash on save",
};
static const char *const s_crash_clause[] = {
    "the app crashes every time I open $p",
    "it crashed and took my unsaved work with it",
    "the desktop app keeps crashing on startup",
    "the browser tab crashes when I upload a large file",
    "it froze and then crashed twice during a client demo",
    "I get a white screen and then the whole thing crashes",
    "crashes have become a daily thing $t",
};
static const char *const s_crash_detail[] = {
    "I've sent the crash reports",
    "we're on the latest version",
    "restarting doesn't help",
};
static const char *const s_crash_subject[] = {
    "App crashing", "Crash when opening $p",
};

/* reliability.data_loss */
static const char *const s_dataloss_short[] = {
    "lost data", "my data is gone", "data loss!!", "changes not saved",
};
static const char *const s_dataloss_clause[] = {
    "we lost a week of data after the sync failed",
    "my changes disappeared after I hit save",
    "records we created yesterday are just gone",
    "the import overwrote our existing contacts",
    "half the notes on $p vanished",
    "data got deleted without any warning",
    "autosave didn't save anything and I lost two hours of work",
    "we can't trust that what we enter will still be there tomorrow",
};
static const char *const s_dataloss_detail[] = {
    "is there a backup you can restore from?",
    "this is the scariest kind of bug",
    "we need to know what happened to our data",
};
static const char *const s_dataloss_subject[] = {
    "Data missing!", "Lost changes", "Records deleted",
};

/* reliability.bug */
static const char *const s_bug_short[] = {
    "buggy", "bug in $p", "so many bugs", "broken again", "still broken",
};
static const char *const s_bug_clause[] = {
    "there's a bug where $p shows the wrong totals",
    "the filter is broken since the update",
    "buttons stop working until I refresh",
    "dates show up one day off",
    "duplicate entries keep appearing in $p",
    "the \"Save\" button doesn't do anything sometimes",
    "sorting by name is broken",
    "this bug has been open $t",
    "something is broken with drag and drop",
    "it's glitchy: things flicker and jump around",
    "the latest release introduced a regression in $p",
};
static const char *const s_bug_detail[] = {
    "steps to reproduce are in ticket #$k",
    "QA seems to be missing things",
    "it happens in Chrome and Firefox",
};
static const char *const s_bug_subject[] = {
    "Bug report", "Something is broken", "Wrong totals in report",
};

/* access.login */
static const char *const s_login_short[] = {
    "can't log in", "login broken", "locked out", "cant sign in", "login???",
};
static const char *const s_login_clause[] = {
    "I can't log in $t",
    "the login page just reloads after I enter my credentials",
    "I keep getting logged out every few minutes",
    "signing in takes several attempts",
    "my account got locked after one wrong password",
    "half of our users can't sign in this morning",
    "the \"remember me\" option never remembers me",
    "login fails with \"invalid session\" even though the password is right",
    "I was locked out of my account for no reason",
};
static const char *const s_login_detail[] = {
    "I cleared cookies and tried another browser",
    "our admin can log in but nobody else can",
    "this blocks me from doing my job",
};
static const char *const s_login_subject[] = {
    "Can't log in", "Login issue", "Locked out of account",
};

/* access.password_reset */
static const char *const s_reset_short[] = {
    "password reset broken", "no reset email", "reset link expired",
};
static const char *const s_reset_clause[] = {
    "the password reset email never arrives",
    "the reset link says it has expired even when I click it right away",
    "I reset my password $n times and still can't get in",
    "the forgot password flow sends me in circles",
    "resetting a password should not require contacting support",
    "the new password rules are confusing and the reset form doesn't say what's wrong",
};
static const char *const s_reset_detail[] = {
    "checked spam, nothing there",
    "I'm the account owner so I'm stuck",
};
static const char *const s_reset_subject[] = {
    "Password reset not working", "Reset email not received",
};

/* access.sso */
static const char *const s_sso_short[] = {
    "SSO broken", "SAML login fails", "need SSO", "Okta login not working",
};
static const char *const s_sso_clause[] = {
    "SSO with Okta stopped working after your update",
    "our SAML login fails with an error about the certificate",
    "single sign-on is only on the Enterprise plan, that's ridiculous",
    "users provisioned through Azure AD don't get the right roles",
    "Google sign-in loops back to the login page",
    "we need SCIM provisioning to go along with SSO",
    "the SSO setup docs are out of date",
};
static const char *const s_sso_detail[] = {
    "our IT team won't approve the tool without SSO",
    "it worked fine until recently",
};
static const char *const s_sso_subject[] = {
    "SSO / SAML error", "Okta SSO broken", "SSO setup help",
};

/* access.2fa */
static const char *const s_twofa_short[] = {
    "2FA codes not working", "2fa problem", "lost my 2FA device",
};
static const char *const s_twofa_clause[] = {
    "the 2FA code is always rejected",
    "I got a new phone and now I can't get past two-factor authentication",
    "the SMS verification code takes ages to arrive",
    "please support authenticator apps instead of SMS codes",
    "two-factor keeps asking me for a code on every login",
    "we want to enforce 2FA for everyone but there's no admin setting",
};
static const char *const s_twofa_detail[] = {
    "recovery codes didn't work either",
    "I'm locked out until this is fixed",
};
static const char *const s_twofa_subject[] = {
    "2FA problem", "Lost 2FA device", "Verification code not received",
};

/* support.response_time */
static const char *const s_resp_short[] = {
    "no response from support", "support is slow", "still waiting on support", "nobody answers",
};
static const char *const s_resp_clause[] = {
    "I opened a ticket $t and nobody has replied",
    "support takes days to respond",
    "it took $n days to get a first response",
    "response times have gotten much worse",
    "we're paying for premium support and still wait a week",
    "live chat says someone will reply in minutes, but it's hours",
    "I've followed up $n times without an answer",
    "nobody got back to me about my ticket",
};
static const char *const s_resp_detail[] = {
    "ticket #$k, if anyone is reading this",
    "a simple acknowledgement would help",
    "we are a paying customer",
};
static const char *const s_resp_subject[] = {
    "Still waiting for a reply", "Follow-up on ticket #$k", "No response",
};

/* support.agent_quality */
static const char *const s_agent_short[] = {
    "unhelpful support", "support didn't help", "canned answers", "useless support",
};
static const char *const s_agent_clause[] = {
    "the agent clearly didn't read my ticket",
    "support just sent me a link to the docs that didn't answer my question",
    "I got a copy-paste answer that had nothing to do with my problem",
    "the person I spoke to was rude and dismissive",
    "every agent asks me to explain the whole issue again",
    "the support rep closed my ticket without solving anything",
    "$a from support didn't seem to understand the product",
    "support told me it was a known issue and that's it",
};
static const char *const s_agent_detail[] = {
    "I had to explain it $n times",
    "it feels like talking to a bot",
};
static const char *const s_agent_subject[] = {
    "Complaint about support", "Unhelpful answer",
};

/* support.escalation */
static const char *const s_escal_short[] = {
    "need escalation", "escalate please", "manager please",
};
static const char *const s_escal_clause[] = {
    "I asked for this to be escalated $t and nothing happened",
    "please escalate this to engineering",
    "my escalation went nowhere",
    "we need someone senior to look at this",
    "our account manager never responds to escalations",
    "this should have been escalated weeks ago",
};
static const char *const s_escal_detail[] = {
    "it's affecting our whole company",
    "our CEO is now asking about it",
};
static const char *const s_escal_subject[] = {
    "Escalation request", "Please escalate", "URGENT escalation",
};

/* usability.navigation */
static const char *const s_nav_short[] = {
    "confusing UI", "hard to navigate", "cluttered", "can't find anything",
};
static const char *const s_nav_clause[] = {
    "the navigation is confusing and I can never find $p",
    "too many clicks to do simple things",
    "the menus were reorganized and now nothing is where it was",
    "the interface is cluttered",
    "it's hard to find settings",
    "the new layout is a step backwards",
    "I keep getting lost between the tabs",
    "basic actions are hidden behind three-dot menus",
    "the UI is not intuitive at all",
};
static const char *const s_nav_detail[] = {
    "our new hires struggle with it",
    "a search for settings would help",
};
static const char *const s_nav_subject[] = {
    "Can't find setting", "UI feedback",
};

/* usability.onboarding */
static const char *const s_onb_short[] = {
    "onboarding confusing", "hard to get started", "setup took forever",
};
static const char *const s_onb_clause[] = {
    "onboarding was confusing and nobody explained the basics",
    "getting started took us weeks instead of days",
    "the setup wizard skipped the steps we actually needed",
    "new users don't know what to do after signing up",
    "the onboarding checklist is generic and not helpful",
    "setting up our workspace was harder than it should be",
    "the trial ended before we figured out how it works",
};
static const char *const s_onb_detail[] = {
    "a kickoff call would have helped",
    "we almost gave up during setup",
};
static const char *const s_onb_subject[] = {
    "Help getting started", "Setup question",
};

/* usability.documentation */
static const char *const s_docs_short[] = {
    "docs outdated", "documentation is bad", "need better docs",
};
static const char *const s_docs_clause[] = {
    "the documentation is out of date",
    "the help center articles don't match the current UI",
    "the docs are missing examples",
    "I couldn't find anything in the knowledge base about $p",
    "the API docs contradict themselves",
    "the help articles have screenshots from two versions ago",
    "there's no guide for migrating from the old version",
};
static const char *const s_docs_detail[] = {
    "I ended up asking in a forum instead",
    "a video walkthrough would help",
};
static const char *const s_docs_subject[] = {
    "Documentation outdated", "Docs question",
};

/* integrations.api */
static const char *const s_api_short[] = {
    "API errors", "api rate limits", "api broken", "webhooks dead",
};
static const char *const s_api_clause[] = {
    "the REST API returns 500 errors for valid requests",
    "API rate limits are too low for our sync",
    "the API doesn't expose the data behind $p",
    "webhooks stopped firing $t",
    "the API changed without a deprecation notice and broke our integration",
    "pagination in the API skips records",
    "API tokens expire too often",
    "our developers find the API hard to work with",
};
static const char *const s_integr_detail[] = {
    "we have a nightly job that depends on it",
    "a changelog for the integrations would help",
    "the integration is the main reason we bought the product",
};
static const char *const s_api_subject[] = {
    "API 500 errors", "Rate limit question", "Webhooks not firing",
};

/* integrations.slack */
static const char *const s_slack_short[] = {
    "Slack integration broken", "slack notifications stopped",
};
static const char *const s_slack_clause[] = {
    "the Slack integration stopped posting to our channel",
    "Slack messages arrive hours late",
    "connecting Slack fails with a permissions error",
    "the Slack app posts duplicates",
    "we want to choose which Slack channel gets which alerts",
    "the Microsoft Teams integration is missing, only Slack is supported",
};
static const char *const s_slack_subject[] = {
    "Slack integration", "Slack notifications missing",
};

/* integrations.salesforce */
static const char *const s_sfdc_short[] = {
    "Salesforce sync broken", "SFDC sync failing",
};
static const char *const s_sfdc_clause[] = {
    "the Salesforce sync fails every night",
    "fields don't map correctly to Salesforce",
    "the Salesforce sync creates duplicate contacts",
    "the Salesforce connector is missing custom objects",
    "HubSpot and Salesforce both need a two-way sync",
    "our sales team relies on the Salesforce integration and it keeps breaking",
};
static const char *const s_sfdc_subject[] = {
    "Salesforce sync failing", "SFDC mapping issue",
};

/* integrations.zapier */
static const char *const s_zapier_short[] = {
    "Zapier zap broken", "zapier trigger not firing",
};
static const char *const s_zapier_clause[] = {
    "our Zapier zaps stopped triggering",
    "the Zapier integration is missing a trigger for new records",
    "Zapier shows an authentication error every few days",
    "the Zapier action fails with an unhelpful error",
    "we'd like a native $i integration instead of going through Zapier",
};
static const char *const s_zapier_subject[] = {
    "Zapier trigger issue", "Zap not working",
};

/* mobile */
static const char *const s_mobile_short[] = {
    "mobile app is bad", "app crashes on iOS", "android app slow", "the app...",
};
static const char *const s_mobile_clause[] = {
    "the mobile app crashes on my $d",
    "the iOS app is missing half the features of the web version",
    "the Android app logs me out constantly",
    "push notifications on the mobile app never show up",
    "the app is unusable on a tablet",
    "the mobile app is so slow it's quicker to open a laptop",
    "offline mode on the phone app loses changes",
    "I can't upload photos from the mobile app",
    "the latest app update broke login on my $d",
};
static const char *const s_mobile_detail[] = {
    "I'm on the latest app version",
    "most of our field team only has phones",
};
static const char *const s_mobile_subject[] = {
    "Mobile app crash", "iOS app issue", "Android login problem",
};

/* feature requests */
static const char *const s_feature_short[] = {
    "please add $f", "need $f", "feature request: $f", "$f please!", "$f?",
};
static const char *const s_feature_clause[] = {
    "it would be great to have $f",
    "please add $f",
    "we really need $f",
    "any plans to support $f?",
    "I'd love to see $f on the roadmap",
    "the one thing missing for us is $f",
    "could you add $f?",
    "we're waiting on $f before we roll it out to more teams",
    "competitors already offer $f",
    "feature request: $f",
    "wish list: $f and $f",
    "I would really like $f",
};
static const char *const s_feature_detail[] = {
    "happy to join a beta",
    "upvoting the existing request in your forum",
    "it's the most requested thing on our team",
};
static const char *const s_feature_subject[] = {
    "Feature request", "Feature request: $f", "Suggestion",
};

/* reporting.dashboards */
static const char *const s_dash_short[] = {
    "dashboards broken", "reports are wrong", "need better reporting",
};
static const char *const s_dash_clause[] = {
    "the dashboard numbers don't match the raw data",
    "dashboards are too limited, I can't filter by team",
    "the charts on the dashboard don't load",
    "reporting is too basic for what we need",
    "I can't build a custom report",
    "the weekly report shows last week's data twice",
    "dashboard widgets reset every time I log in",
    "analytics are delayed by a day",
};
static const char *const s_dash_detail[] = {
    "we present these numbers to leadership",
    "we end up rebuilding everything in spreadsheets",
};
static const char *const s_dash_subject[] = {
    "Dashboard numbers wrong", "Reporting question",
};

/* reporting.export */
static const char *const s_export_short[] = {
    "export broken", "CSV export fails", "need Excel export",
};
static const char *const s_export_clause[] = {
    "exporting to CSV cuts off after $n rows",
    "the Excel export mangles names like Zoë and José",
    "I can't export $p at all",
    "the PDF export looks terrible",
    "the \"Export\" button does nothing",
    "we need a way to export everything for our data warehouse",
    "exported dates are in the wrong timezone",
    "the export email never arrives",
};
static const char *const s_export_detail[] = {
    "we need this for our quarterly review",
    "it's our data, we should be able to get it out",
};
static const char *const s_export_subject[] = {
    "Export not working", "CSV export issue",
};

/* notifications */
static const char *const s_notif_short[] = {
    "too many emails", "email notifications spam", "not getting notifications",
};
static const char *const s_notif_clause[] = {
    "I get way too many notification emails",
    "email notifications stopped arriving $t",
    "there's no way to turn off the daily digest",
    "notification emails land in spam",
    "I get notified about things that have nothing to do with me",
    "the unsubscribe link in your emails doesn't work",
    "alerts arrive hours after the event",
    "we need finer control over which notifications we receive",
};
static const char *const s_notif_detail[] = {
    "my inbox is flooded",
    "people on our team just ignore them now",
};
static const char *const s_notif_subject[] = {
    "Too many emails", "Notifications not arriving",
};

/* security / privacy */
static const char *const s_sec_short[] = {
    "security concerns", "privacy?", "GDPR question",
};
static const char *const s_sec_clause[] = {
    "we need to know where our data is stored for GDPR",
    "there's no audit log of who changed what",
    "your security questionnaire answers were vague",
    "I'm worried about how you handle customer data",
    "we need a DPA signed before we can expand",
    "API keys are shown in plain text on the settings page",
    "an admin can see private notes, that's a privacy problem",
    "we need data residency in the EU",
    "are you SOC 2 compliant?",
    "please add IP allowlisting",
};
static const char *const s_sec_detail[] = {
    "our security team is blocking the renewal",
    "legal is asking questions",
};
static const char *const s_sec_subject[] = {
    "Security questionnaire", "GDPR / data residency", "DPA request",
};

/* praise */
static const char *const s_praise_short[] = {
    "love it", "great product", "awesome!", "excellent", "10/10", "great support",
    "works great", "very happy", "❤️",
};
static const char *const s_praise_clause[] = {
    "love the product, it saves our team hours every week",
    "support was fast and super helpful",
    "$a from support was amazing and solved it in minutes",
    "the new dashboard is fantastic",
    "best tool we've used for this",
    "easy to use and the team picked it up quickly",
    "it just works",
    "great value for the money",
    "the latest update made everything faster, thank you",
    "really happy with the product so far",
    "onboarding was smooth and the docs are clear",
    "the Slack integration is a game changer for us",
    "we recommend you to everyone",
    "excellent customer service",
    "I love how simple the mobile app is",
};
static const char *const s_praise_detail[] = {
    "keep up the great work",
    "the whole team loves it",
    "thanks to everyone involved",
};
static const char *const s_praise_subject[] = {
    "Thank you!", "Kudos to the team", "Feedback",
};
/* How a happy customer leads into a complaint: "Great tool, but ...". */
static const char *const s_praise_lead[] = {
    "love the product overall", "great tool", "mostly happy", "the product itself is good",
    "support has been great", "the team likes it", "we like the product",
};

/* Untagged-ish remarks: no theme should fire on most of these. */
static const char *const s_generic[] = {
    "it's ok I guess",
    "no strong feelings either way",
    "does what it says",
    "we're still evaluating",
    "too early to tell",
    "nothing to add",
    "n/a",
    "fine",
    "average",
    "it's alright",
    "we use it every day",
    "no complaints, no compliments",
    "haven't used it much yet",
    "my manager asked me to fill this in",
    "ok",
    "meh",
    "could be better, could be worse",
    "not sure yet",
    "as expected",
    "same as last quarter",
    "ask me again next month",
    "-",
    "...",
    "no comment",
    "we only use a small part of it",
    "it's fine for what we need",
    "I'm not the main user, my colleague is",
    "hard to say, we just switched",
};
static const char *const s_generic_subject[] = {
    "Question", "Hello", "Feedback", "Account question", "Quick question", "Help",
};

/* Complaint follow-ups that fit any theme. */
static const char *const s_neg_detail[] = {
    "this is really frustrating",
    "please fix this",
    "it's been like this $t",
    "we're on the $l plan and expected better",
    "this affects $n people on our team",
    "not acceptable",
    "we're evaluating alternatives",
    "our renewal is next month",
    "I've reported this before",
    "it happens on both Chrome and Safari",
};

static const char *const s_greetings[] = {
    "Hi,", "Hello team,", "Hey,", "Hi there,", "Good morning,", "Hello,", "Dear support,",
};
static const char *const s_leadins[] = {
    "Honestly,", "Ugh.", "Well,", "So,", "Quick feedback:", "Not happy.", "Overall,",
    "To be honest,", "FYI:", "Feedback:",
};
static const char *const s_close_neg[] = {
    "Please fix.", "Please fix this asap!", "We will cancel if this isn't fixed.", "Not impressed.",
    "Any update would be appreciated.", "Considering alternatives.", "Very disappointed.",
    "Please help 😅", "🙁", "😡", "Sort it out please.",
};
static const char *const s_close_pos[] = {
    "Thanks!", "👍", "Keep it up!", "🔥🔥", "Thank you 🙏", "Cheers!", "❤️",
};
static const char *const s_close_any[] = {
    "Thanks.", "Thanks, $a", "Regards, $a", "Best, $a", "Cheers", "Thank you",
};
static const char *const s_close_emea[] = {
    "Merci !", "Danke.", "Gracias", "Cordialement, $a", "Grüße aus München", "¡Gracias!",
    "Bien à vous", "Tack!",
};
static const char *const s_close_apac[] = {
    "ありがとうございます", "Thanks from Sydney", "谢谢", "Cheers from Auckland", "감사합니다",
};
static const char *const s_emoji_neg[] = {"🙁", "😡", "😤", "🤦", "💸", "🐢", "⏳", "👎"};
static const char *const s_emoji_neu[] = {"🤷", "🙏", "😅", "🤔", "🙂"};
static const char *const s_emoji_pos[] = {"👍", "🔥", "😊", "🎉", "💯", "🙌"};

/* Joining a second theme. Sentence connectors follow a full stop; inline
 * ones continue the sentence. */
static const char *const s_join_sentence[] = {
    "Also, ", "On top of that, ", "Plus, ", "Another thing: ", "Separately, ", "", "And ",
    "Oh and ", "Besides that, ", "Also ", "Second issue: ",
};
static const char *const s_join_inline[] = {
    ", and ", " and ", "; also ", " - also ", ", plus ", " and on top of that ", ", also ",
};
static const char *const s_join_but[] = {
    ", but ", ". However, ", ". Only thing: ", ". That said, ", " - but ", " but ",
};

/* ---- topics --------------------------------------------------------------- */

typedef enum s_mood { S_NEG = 0, S_NEU, S_POS } s_mood;

/* How a theme's share moves over the date range (t = 0 .. 1). */
typedef enum s_trend {
    S_FLAT = 0,
    S_UP,    /* grows to 4x by the end: the headline "getting worse" theme */
    S_UP2,   /* grows to 3x */
    S_DOWN,  /* falls to 0.4x */
    S_SPIKE, /* 6x for about a week in the middle: an incident */
    S_STEP,  /* 2.5x after 60%: a price change */
} s_trend;

typedef struct s_topic {
    const char *theme; /* the default rule set's theme this bank exercises */
    uint32_t weight;   /* base share */
    s_trend trend;
    s_mood mood;
    const char *const *shorts;
    size_t nshorts;
    const char *const *clauses;
    size_t nclauses;
    const char *const *details; /* theme-specific follow-ups */
    size_t ndetails;
    const char *const *subjects;
    size_t nsubjects;
} s_topic;

static const s_topic s_topics[] = {
    {"billing.refund", 40, S_FLAT, S_NEG, S_BANK(s_refund_short), S_BANK(s_refund_clause),
     S_BANK(s_refund_detail), S_BANK(s_refund_subject)},
    {"billing.double_charge", 25, S_FLAT, S_NEG, S_BANK(s_double_short),
     S_BANK(s_double_clause), S_BANK(s_double_detail), S_BANK(s_double_subject)},
    {"billing.pricing", 40, S_STEP, S_NEG, S_BANK(s_pricing_short), S_BANK(s_pricing_clause),
     S_BANK(s_pricing_detail), S_BANK(s_pricing_subject)},
    {"billing.invoice", 30, S_FLAT, S_NEG, S_BANK(s_invoice_short), S_BANK(s_invoice_clause),
     S_BANK(s_invoice_detail), S_BANK(s_invoice_subject)},
    {"performance.slow", 45, S_UP, S_NEG, S_BANK(s_slow_short), S_BANK(s_slow_clause),
     S_BANK(s_slow_detail), S_BANK(s_slow_subject)},
    {"performance.timeout", 22, S_UP, S_NEG, S_BANK(s_timeout_short),
     S_BANK(s_timeout_clause), S_BANK(s_timeout_detail), S_BANK(s_timeout_subject)},
    {"reliability.outage", 22, S_SPIKE, S_NEG, S_BANK(s_outage_short),
     S_BANK(s_outage_clause), S_BANK(s_outage_detail), S_BANK(s_outage_subject)},
    {"reliability.crash", 25, S_FLAT, S_NEG, S_BANK(s_crash_short), S_BANK(s_crash_clause),
     S_BANK(s_crash_detail), S_BANK(s_crash_subject)},
    {"reliability.data_loss", 12, S_FLAT, S_NEG, S_BANK(s_dataloss_short),
     S_BANK(s_dataloss_clause), S_BANK(s_dataloss_detail), S_BANK(s_dataloss_subject)},
    {"reliability.bug", 50, S_FLAT, S_NEG, S_BANK(s_bug_short), S_BANK(s_bug_clause),
     S_BANK(s_bug_detail), S_BANK(s_bug_subject)},
    {"access.login", 35, S_FLAT, S_NEG, S_BANK(s_login_short), S_BANK(s_login_clause),
     S_BANK(s_login_detail), S_BANK(s_login_subject)},
    {"access.password_reset", 20, S_FLAT, S_NEG, S_BANK(s_reset_short),
     S_BANK(s_reset_clause), S_BANK(s_reset_detail), S_BANK(s_reset_subject)},
    {"access.sso", 18, S_FLAT, S_NEG, S_BANK(s_sso_short), S_BANK(s_sso_clause),
     S_BANK(s_sso_detail), S_BANK(s_sso_subject)},
    {"access.2fa", 15, S_FLAT, S_NEG, S_BANK(s_twofa_short), S_BANK(s_twofa_clause),
     S_BANK(s_twofa_detail), S_BANK(s_twofa_subject)},
    {"support.response_time", 40, S_FLAT, S_NEG, S_BANK(s_resp_short), S_BANK(s_resp_clause),
     S_BANK(s_resp_detail), S_BANK(s_resp_subject)},
    {"support.agent_quality", 25, S_FLAT, S_NEG, S_BANK(s_agent_short),
     S_BANK(s_agent_clause), S_BANK(s_agent_detail), S_BANK(s_agent_subject)},
    {"support.escalation", 12, S_FLAT, S_NEG, S_BANK(s_escal_short), S_BANK(s_escal_clause),
     S_BANK(s_escal_detail), S_BANK(s_escal_subject)},
    {"usability.navigation", 35, S_FLAT, S_NEG, S_BANK(s_nav_short), S_BANK(s_nav_clause),
     S_BANK(s_nav_detail), S_BANK(s_nav_subject)},
    {"usability.onboarding", 25, S_DOWN, S_NEG, S_BANK(s_onb_short), S_BANK(s_onb_clause),
     S_BANK(s_onb_detail), S_BANK(s_onb_subject)},
    {"usability.documentation", 22, S_DOWN, S_NEG, S_BANK(s_docs_short),
     S_BANK(s_docs_clause), S_BANK(s_docs_detail), S_BANK(s_docs_subject)},
    {"integrations.api", 25, S_UP2, S_NEG, S_BANK(s_api_short), S_BANK(s_api_clause),
     S_BANK(s_integr_detail), S_BANK(s_api_subject)},
    {"integrations.slack", 15, S_UP2, S_NEG, S_BANK(s_slack_short), S_BANK(s_slack_clause),
     S_BANK(s_integr_detail), S_BANK(s_slack_subject)},
    {"integrations.salesforce", 15, S_UP2, S_NEG, S_BANK(s_sfdc_short), S_BANK(s_sfdc_clause),
     S_BANK(s_integr_detail), S_BANK(s_sfdc_subject)},
    {"integrations.zapier", 10, S_UP2, S_NEG, S_BANK(s_zapier_short), S_BANK(s_zapier_clause),
     S_BANK(s_integr_detail), S_BANK(s_zapier_subject)},
    {"mobile", 40, S_FLAT, S_NEG, S_BANK(s_mobile_short), S_BANK(s_mobile_clause),
     S_BANK(s_mobile_detail), S_BANK(s_mobile_subject)},
    {"feature_request", 70, S_FLAT, S_NEU, S_BANK(s_feature_short), S_BANK(s_feature_clause),
     S_BANK(s_feature_detail), S_BANK(s_feature_subject)},
    {"reporting.dashboards", 30, S_FLAT, S_NEG, S_BANK(s_dash_short), S_BANK(s_dash_clause),
     S_BANK(s_dash_detail), S_BANK(s_dash_subject)},
    {"reporting.export", 25, S_FLAT, S_NEG, S_BANK(s_export_short), S_BANK(s_export_clause),
     S_BANK(s_export_detail), S_BANK(s_export_subject)},
    {"notifications", 30, S_FLAT, S_NEG, S_BANK(s_notif_short), S_BANK(s_notif_clause),
     S_BANK(s_notif_detail), S_BANK(s_notif_subject)},
    {"security", 18, S_FLAT, S_NEG, S_BANK(s_sec_short), S_BANK(s_sec_clause),
     S_BANK(s_sec_detail), S_BANK(s_sec_subject)},
    {"praise", 90, S_FLAT, S_POS, S_BANK(s_praise_short), S_BANK(s_praise_clause),
     S_BANK(s_praise_detail), S_BANK(s_praise_subject)},
};

/* Scores by mood, drawn uniformly from these lists. */
static const int s_nps_neg[] = {0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6};
static const int s_nps_mild[] = {5, 6, 6, 7, 7, 7, 8, 8};
static const int s_nps_neu[] = {5, 6, 7, 7, 7, 8, 8, 8, 8, 9};
static const int s_nps_pos[] = {8, 9, 9, 9, 9, 10, 10, 10, 10, 10};
static const int s_rating_neg[] = {1, 1, 1, 2, 2, 2, 3};
static const int s_rating_neu[] = {2, 3, 3, 3, 4, 4};
static const int s_rating_pos[] = {4, 4, 5, 5, 5, 5};

static const char *const s_acct_first[] = {
    "Northwind", "Bluefin", "Copperleaf", "Brightside", "Kestrel", "Lumen", "Orchard",
    "Pinecrest", "Redwood", "Silverline", "Tidewater", "Vantage", "Willow", "Zenith",
    "Ironbridge", "Harbor", "Granite", "Foxglove", "Evergreen", "Driftwood", "Cobalt", "Beacon",
    "Aurora", "Summit", "Quarry", "Nimbus", "Meridian", "Larkspur", "Juniper", "Halcyon",
    "Müller", "Løvstad", "Bélanger", "Nakamura", "Oakhurst", "Sable", "Tessera", "Upland",
};
static const char *const s_acct_second[] = {
    "Logistics", "Labs", "Health", "Analytics", "Foods", "Capital", "Software", "Studio",
    "Systems", "Retail", "GmbH", "SARL", "Partners", "Media", "Robotics", "Legal", "Energy",
    "Ventures", "AB", "Pty Ltd", "Inc.", "& Co",
};

/* ---- output buffer -------------------------------------------------------- */

typedef struct s_out {
    FILE *fp;
    char *buf; /* S_OUT_CAP bytes */
    size_t len;
    int error; /* errno of the first failed write, or 0 */
} s_out;

static void s_out_flush(s_out *o)
{
    if (o->len && !o->error && fwrite(o->buf, 1, o->len, o->fp) != o->len)
        o->error = errno ? errno : EIO;
    o->len = 0;
}

/* Called once per line: after it, one line of any size this program writes
 * fits without further checks. */
static void s_out_reserve(s_out *o)
{
    if (o->len > S_OUT_CAP - S_OUT_SLACK)
        s_out_flush(o);
}

static inline void s_put(s_out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define S_LIT(o, lit) s_put((o), (lit), sizeof(lit) - 1)

static inline void s_putc(s_out *o, char c)
{
    o->buf[o->len++] = c;
}

static void s_puts(s_out *o, const char *s)
{
    s_put(o, s, strlen(s));
}

static void s_put_u64(s_out *o, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        s_putc(o, tmp[--n]);
}

static void s_put_int(s_out *o, int v)
{
    if (v < 0) {
        s_putc(o, '-');
        s_put_u64(o, (uint64_t)(-(int64_t)v));
    } else {
        s_put_u64(o, (uint64_t)v);
    }
}

/* A JSON string with its quotes. Bytes >= 0x80 pass through: the text is
 * valid UTF-8 except where a malformed line wants it not to be. */
static void s_put_json(s_out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    s_putc(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        s_put(o, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': S_LIT(o, "\\\""); break;
        case '\\': S_LIT(o, "\\\\"); break;
        case '\n': S_LIT(o, "\\n"); break;
        case '\r': S_LIT(o, "\\r"); break;
        case '\t': S_LIT(o, "\\t"); break;
        default:
            S_LIT(o, "\\u00");
            s_putc(o, hex[c >> 4]);
            s_putc(o, hex[c & 15]);
        }
    }
    s_put(o, s + run, n - run);
    s_putc(o, '"');
}

/* A CSV field, quoted per RFC 4180 only when it has to be. */
static void s_put_csv(s_out *o, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        s_put(o, s, n);
        return;
    }
    s_putc(o, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        s_put(o, s + run, i + 1 - run); /* includes the quote ... */
        s_putc(o, '"');                 /* ... and doubles it */
        run = i + 1;
    }
    s_put(o, s + run, n - run);
    s_putc(o, '"');
}

/* "2026-03-04T10:11:12Z": 20 bytes, no NUL. */
static void s_format_time(int64_t t, char out[20])
{
    int64_t days = t / 86400, sec = t % 86400;
    if (sec < 0) {
        sec += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    voc_civil_from_days(days, &y, &m, &d);
    unsigned yy = (unsigned)y, hh = (unsigned)(sec / 3600), mi = (unsigned)(sec / 60 % 60),
             ss = (unsigned)(sec % 60);
    out[0] = (char)('0' + yy / 1000 % 10);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 'T';
    out[11] = (char)('0' + hh / 10);
    out[12] = (char)('0' + hh % 10);
    out[13] = ':';
    out[14] = (char)('0' + mi / 10);
    out[15] = (char)('0' + mi % 10);
    out[16] = ':';
    out[17] = (char)('0' + ss / 10);
    out[18] = (char)('0' + ss % 10);
    out[19] = 'Z';
}

/* ---- text composition ----------------------------------------------------- */

typedef struct s_text {
    char buf[S_TEXT_MAX];
    size_t len;
    bool cap; /* capitalise the next thing said: a sentence starts */
} s_text;

typedef enum s_kind { S_KIND_NPS = 0, S_KIND_SURVEY, S_KIND_TICKET } s_kind;
static const char *const s_kind_names[] = {"nps", "survey", "ticket"};

typedef enum s_len { S_SHORT = 0, S_MEDIUM, S_LONG } s_len;

typedef struct s_gen {
    s_rng rng;
    uint64_t seed;
    int64_t start; /* first second of the range */
    uint32_t days;
    uint64_t customers;
    uint64_t accounts;
    bool csv;
    s_out out;
    /* the item being written */
    uint32_t plan;
    uint32_t region;
    s_text text;
    s_text subject; /* only the first S_SUBJECT_MAX bytes are used */
    char account[96];
} s_gen;

static void s_add(s_text *t, size_t max, const char *s, size_t n)
{
    if (t->len + n <= max) {
        memcpy(t->buf + t->len, s, n);
        t->len += n;
    }
}

static void s_add_num(s_text *t, size_t max, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    s_add(t, max, tmp, (size_t)n);
}

static void s_add_str(s_text *t, size_t max, const char *s)
{
    s_add(t, max, s, strlen(s));
}

/* Say phrase into t, filling its slots; capitalise it when a sentence starts. */
static void s_say(s_gen *g, s_text *t, size_t max, const char *phrase)
{
    size_t begin = t->len;
    const char *p = phrase;
    while (*p) {
        const char *dollar = strchr(p, '$');
        if (!dollar) {
            s_add_str(t, max, p);
            break;
        }
        s_add(t, max, p, (size_t)(dollar - p));
        p = dollar + 1;
        switch (*p) {
        case 't': s_add_str(t, max, S_PICK(&g->rng, s_slot_time)); break;
        case 'n': s_add_num(t, max, 2 + s_below(&g->rng, 29)); break;
        case 'k': s_add_num(t, max, 10000 + s_below(&g->rng, 90000)); break;
        case 'm': s_add_str(t, max, S_PICK(&g->rng, s_slot_amount)); break;
        case 'p': s_add_str(t, max, S_PICK(&g->rng, s_slot_page)); break;
        case 'd': s_add_str(t, max, S_PICK(&g->rng, s_slot_device)); break;
        case 'w': s_add_str(t, max, S_PICK(&g->rng, s_slot_intens)); break;
        case 'a': s_add_str(t, max, S_PICK(&g->rng, s_slot_name)); break;
        case 'l': s_add_str(t, max, s_plan_display[g->plan]); break;
        case 'f': s_add_str(t, max, S_PICK(&g->rng, s_slot_feature)); break;
        case 'i': s_add_str(t, max, S_PICK(&g->rng, s_slot_tool)); break;
        default: /* a literal '$' (prices, "$$$") */
            s_add(t, max, "$", 1);
            continue;
        }
        p++;
    }
    if (t->cap && t->len > begin && t->buf[begin] >= 'a' && t->buf[begin] <= 'z')
        t->buf[begin] = (char)(t->buf[begin] - 'a' + 'A');
    if (t->len > begin)
        t->cap = false;
}

static char s_last(const s_text *t)
{
    return t->len ? t->buf[t->len - 1] : '\0';
}

static bool s_terminated(const s_text *t)
{
    char c = s_last(t);
    return c == '.' || c == '!' || c == '?';
}

/* End the sentence (most people use a full stop; some shout, trail off or
 * forget) and start the next one. */
static void s_next_sentence(s_gen *g, s_text *t, bool paragraphs)
{
    if (!s_terminated(t)) {
        uint32_t r = s_below(&g->rng, 100);
        const char *end = r < 80 ? "." : r < 88 ? "!" : r < 92 ? "" : r < 95 ? "!!" : "...";
        s_add_str(t, S_TEXT_MAX, end);
    }
    if (paragraphs && s_chance(&g->rng, 150))
        s_add_str(t, S_TEXT_MAX, s_chance(&g->rng, 500) ? "\n\n" : "\n");
    else
        s_add(t, S_TEXT_MAX, " ", 1);
    t->cap = true;
}

/* A follow-up sentence not yet said in this item (used[] holds the ones
 * that were; nused of them). */
static const char *s_detail(s_gen *g, const s_topic *tp, s_mood mood, const char **used,
                            size_t *nused)
{
    const char *d = NULL;
    for (int attempt = 0; attempt < 4; attempt++) {
        d = mood == S_NEG && s_chance(&g->rng, 400)
                ? S_PICK(&g->rng, s_neg_detail)
                : tp->details[s_below(&g->rng, (uint32_t)tp->ndetails)];
        bool seen = false;
        for (size_t i = 0; i < *nused && !seen; i++)
            seen = used[i] == d;
        if (!seen)
            break;
    }
    used[(*nused)++] = d;
    return d;
}

static const char *s_closing(s_gen *g, s_mood mood)
{
    uint32_t r = s_below(&g->rng, 100);
    if (r < 12 && g->region == 1)
        return S_PICK(&g->rng, s_close_emea);
    if (r < 12 && g->region == 2)
        return S_PICK(&g->rng, s_close_apac);
    if (r < 55)
        return S_PICK(&g->rng, s_close_any);
    return mood == S_POS ? S_PICK(&g->rng, s_close_pos)
           : mood == S_NEG ? S_PICK(&g->rng, s_close_neg)
                           : S_PICK(&g->rng, s_close_any);
}

/* Typos (a swapped or dropped letter in ~3% of words) and casing, in place.
 * Only runs of ASCII letters are touched, so UTF-8 stays valid. */
static void s_mangle(s_gen *g, s_text *t)
{
    enum { NORMAL, UPPER, LOWER, SHOUT } mode = NORMAL;
    uint32_t r = s_below(&g->rng, 1000);
    if (r < 30)
        mode = UPPER;
    else if (r < 100)
        mode = LOWER;
    else if (r < 130)
        mode = SHOUT;
    size_t rd = 0, wr = 0, n = t->len;
    char *b = t->buf;
    while (rd < n) {
        char c = b[rd];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter) {
            b[wr++] = b[rd++];
            continue;
        }
        size_t start = wr;
        while (rd < n && ((b[rd] >= 'a' && b[rd] <= 'z') || (b[rd] >= 'A' && b[rd] <= 'Z')))
            b[wr++] = b[rd++];
        size_t wlen = wr - start;
        /* 4% of words long enough to misspell: ~3% of all words. */
        if (wlen >= 4 && s_chance(&g->rng, 40)) {
            size_t at = 1 + s_below(&g->rng, (uint32_t)(wlen - 2));
            if (s_chance(&g->rng, 500)) {
                char tmp = b[start + at];
                b[start + at] = b[start + at + 1];
                b[start + at + 1] = tmp;
            } else {
                memmove(b + start + at, b + start + at + 1, wlen - at - 1);
                wr--;
                wlen--;
            }
        }
        bool up = mode == UPPER || (mode == SHOUT && s_chance(&g->rng, 250));
        for (size_t i = start; i < wr; i++) {
            if (up && b[i] >= 'a' && b[i] <= 'z')
                b[i] = (char)(b[i] - 'a' + 'A');
            else if (mode == LOWER && b[i] >= 'A' && b[i] <= 'Z')
                b[i] = (char)(b[i] - 'A' + 'a');
        }
    }
    t->len = wr;
}

/* Compose the text of one item about p (and q, when it mentions a second
 * theme; NULL for none). generic: a remark no theme should claim. */
static void s_compose(s_gen *g, const s_topic *p, const s_topic *q, bool generic, s_len len,
                      s_mood mood, bool ticket)
{
    s_text *t = &g->text;
    s_rng *r = &g->rng;
    const char *used[3];
    size_t nused = 0;
    t->len = 0;
    t->cap = true;
    if (generic) {
        s_say(g, t, S_TEXT_MAX, S_PICK(r, s_generic));
        if (len == S_LONG) {
            s_next_sentence(g, t, false);
            s_say(g, t, S_TEXT_MAX, S_PICK(r, s_generic));
        }
        goto done;
    }
    if (len == S_SHORT) {
        t->cap = s_chance(r, 500);
        s_say(g, t, S_TEXT_MAX, p->shorts[s_below(r, (uint32_t)p->nshorts)]);
        if (q) {
            s_add_str(t, S_TEXT_MAX, s_chance(r, 500) ? " and " : s_chance(r, 500) ? ", " : " + ");
            s_say(g, t, S_TEXT_MAX, q->shorts[s_below(r, (uint32_t)q->nshorts)]);
        }
        goto done;
    }
    if (s_chance(r, len == S_LONG || ticket ? 500 : 200)) {
        /* Tickets open with a greeting, often on a line of its own. */
        bool greet = ticket ? s_chance(r, 700) : s_chance(r, 200);
        s_say(g, t, S_TEXT_MAX, greet ? S_PICK(r, s_greetings) : S_PICK(r, s_leadins));
        bool own_line = greet && ticket && s_chance(r, 500);
        bool sentence_ended = s_terminated(t);
        s_add(t, S_TEXT_MAX, own_line ? "\n" : " ", 1);
        t->cap = sentence_ended || own_line;
    }
    if (q && p->mood == S_NEG && q->mood == S_POS) {
        /* "Great tool, but the invoice is wrong." */
        s_say(g, t, S_TEXT_MAX, S_PICK(r, s_praise_lead));
        s_add_str(t, S_TEXT_MAX, s_chance(r, 500) ? ", but " : " but ");
        s_say(g, t, S_TEXT_MAX, p->clauses[s_below(r, (uint32_t)p->nclauses)]);
        q = NULL;
    } else {
        s_say(g, t, S_TEXT_MAX, p->clauses[s_below(r, (uint32_t)p->nclauses)]);
    }
    if (len == S_LONG || s_chance(r, 250)) {
        s_next_sentence(g, t, len == S_LONG);
        s_say(g, t, S_TEXT_MAX, s_detail(g, p, mood, used, &nused));
    }
    if (q) {
        if (p->mood == S_POS && q->mood == S_NEG) {
            /* "Great tool, but ...", or "Love it! But ..." after a full stop. */
            const char *join = S_PICK(r, s_join_but);
            if (s_terminated(t)) {
                s_add(t, S_TEXT_MAX, " ", 1);
                join = join[0] == '.' ? join + 2 : "But ";
            }
            s_add_str(t, S_TEXT_MAX, join);
            t->cap = false;
        } else if (!s_terminated(t) && s_chance(r, 450)) {
            s_add_str(t, S_TEXT_MAX, S_PICK(r, s_join_inline));
        } else {
            s_next_sentence(g, t, len == S_LONG);
            s_say(g, t, S_TEXT_MAX, S_PICK(r, s_join_sentence));
        }
        s_say(g, t, S_TEXT_MAX, q->clauses[s_below(r, (uint32_t)q->nclauses)]);
        if (len == S_LONG && s_chance(r, 500)) {
            s_next_sentence(g, t, true);
            s_say(g, t, S_TEXT_MAX, s_detail(g, q, mood, used, &nused));
        }
    }
    if (len == S_LONG && s_chance(r, 600)) {
        s_next_sentence(g, t, true);
        /* The praise bank is the praise topic's own, so one path serves both. */
        s_say(g, t, S_TEXT_MAX, s_detail(g, p, mood, used, &nused));
    }
    if (s_chance(r, len == S_LONG ? 450 : 150)) {
        s_next_sentence(g, t, len == S_LONG && ticket);
        s_say(g, t, S_TEXT_MAX, s_closing(g, mood));
    } else if (s_chance(r, 700)) {
        if (!s_terminated(t))
            s_add(t, S_TEXT_MAX, s_chance(r, 850) ? "." : "!", 1);
    }
done:
    if (s_chance(r, 40)) {
        s_add(t, S_TEXT_MAX, " ", 1);
        s_add_str(t, S_TEXT_MAX, mood == S_NEG   ? S_PICK(r, s_emoji_neg)
                                 : mood == S_POS ? S_PICK(r, s_emoji_pos)
                                                 : S_PICK(r, s_emoji_neu));
    }
    s_mangle(g, t);
}

/* ---- items ---------------------------------------------------------------- */

/* created_at: volume grows ~2x over the range, weekdays and office hours
 * are busier. Returns seconds; *t_pm is the position in the range, 0-999. */
static int64_t s_pick_time(s_gen *g, uint32_t *t_pm)
{
    s_rng *r = &g->rng;
    uint32_t day;
    for (int attempt = 0;; attempt++) {
        uint32_t a = s_below(r, g->days);
        if (s_chance(r, 333)) {
            uint32_t b = s_below(r, g->days);
            a = a > b ? a : b; /* density rising towards the end */
        }
        day = a;
        int64_t abs_day = g->start / 86400 + day;
        int64_t wd = (abs_day + 3) % 7; /* 0 = Monday; 1970-01-01 was a Thursday */
        if (attempt > 0 || wd < 5 || s_chance(r, 400))
            break;
    }
    uint32_t hour = s_chance(r, 700) ? 8 + s_below(r, 10) : s_below(r, 24);
    uint32_t sec = hour * 3600 + s_below(r, 3600);
    *t_pm = (uint32_t)(((uint64_t)day * 1000 + (uint64_t)sec * 1000 / 86400) / g->days);
    if (*t_pm > 999)
        *t_pm = 999;
    return g->start + (int64_t)day * 86400 + sec;
}

static uint32_t s_weight(const s_topic *tp, uint32_t t_pm)
{
    uint32_t w = tp->weight;
    switch (tp->trend) {
    case S_UP: return w * (1000 + 3 * t_pm) / 1000;
    case S_UP2: return w * (1000 + 2 * t_pm) / 1000;
    case S_DOWN: return w * (1000 - 6 * t_pm / 10) / 1000;
    case S_SPIKE: return t_pm >= 450 && t_pm < 470 ? w * 6 : w;
    case S_STEP: return t_pm >= 600 ? w * 5 / 2 : w;
    case S_FLAT: break;
    }
    return w;
}

static const s_topic *s_pick_topic(s_gen *g, uint32_t t_pm)
{
    uint32_t total = 0;
    for (size_t i = 0; i < S_N(s_topics); i++)
        total += s_weight(&s_topics[i], t_pm);
    uint32_t x = s_below(&g->rng, total);
    for (size_t i = 0; i < S_N(s_topics); i++) {
        uint32_t w = s_weight(&s_topics[i], t_pm);
        if (x < w)
            return &s_topics[i];
        x -= w;
    }
    return &s_topics[S_N(s_topics) - 1];
}

/* The account a customer belongs to, and its plan and region: derived by
 * hashing, so a customer's items always agree without a table. */
static uint64_t s_account_of(const s_gen *g, uint64_t customer)
{
    return s_mix(g->seed * 0x100000001b3ULL ^ customer) % g->accounts;
}

static void s_account_name(s_gen *g, uint64_t account)
{
    size_t nf = S_N(s_acct_first), ns = S_N(s_acct_second);
    uint64_t h = s_mix(account ^ 0x5bd1e995ULL);
    const char *first = s_acct_first[h % nf];
    const char *second = s_acct_second[(h / nf) % ns];
    if (account < nf * ns / 2)
        snprintf(g->account, sizeof g->account, "%s %s", first, second);
    else
        snprintf(g->account, sizeof g->account, "%s %s %llu", first, second,
                 (unsigned long long)(account / (nf * ns / 2) + 1));
}

static void s_write_item(s_gen *g, uint64_t n)
{
    s_rng *r = &g->rng;
    uint32_t t_pm;
    int64_t created = s_pick_time(g, &t_pm);

    /* Who: a long tail of customers plus a few very vocal ones. */
    uint64_t customer = s_chance(r, 700) ? s_below(r, (uint32_t)g->customers)
                                          : s_below(r, (uint32_t)(g->customers / 20 + 1));
    uint64_t account = s_account_of(g, customer);
    uint64_t ah = s_mix(account + g->seed);
    uint32_t pr = (uint32_t)(ah % 100), rr = (uint32_t)((ah >> 20) % 100);
    g->plan = pr < 35 ? 0 : pr < 65 ? 1 : pr < 87 ? 2 : 3;
    g->region = rr < 48 ? 0 : rr < 80 ? 1 : 2;
    s_account_name(g, account);

    /* What kind, from where. */
    uint32_t kr = s_below(r, 100);
    s_kind kind = kr < 40 ? S_KIND_NPS : kr < 65 ? S_KIND_SURVEY : S_KIND_TICKET;
    uint32_t sr = s_below(r, 100);
    const char *source;
    if (kind == S_KIND_NPS)
        source = sr < 60 ? "delighted" : sr < 85 ? "inapp" : "api";
    else if (kind == S_KIND_SURVEY)
        source = sr < 60 ? "typeform" : sr < 90 ? "inapp" : "api";
    else
        source = sr < 55 ? "zendesk" : sr < 95 ? "intercom" : "api";

    /* What about. */
    bool generic = s_chance(r, 120);
    const s_topic *p = s_pick_topic(g, t_pm), *q = NULL;
    if (!generic && s_chance(r, 250)) {
        for (int i = 0; i < 4 && (!q || q == p); i++)
            q = s_pick_topic(g, t_pm);
        if (q == p)
            q = NULL;
    }
    s_mood mood = generic ? S_NEU : p->mood;
    if (q && (p->mood == S_POS) != (q->mood == S_POS))
        mood = S_NEU; /* mixed: praise and a complaint */
    else if (q && q->mood == S_NEG)
        mood = S_NEG;
    uint32_t lr = s_below(r, 100);
    s_len len = lr < 15 ? S_SHORT : lr < 72 ? S_MEDIUM : S_LONG;
    if (kind == S_KIND_TICKET && len == S_SHORT && s_chance(r, 700))
        len = S_MEDIUM; /* tickets explain themselves more */
    s_compose(g, p, q, generic, len, mood, kind == S_KIND_TICKET);

    /* Score, agreeing with the text most of the time. */
    int scale = 0, score = 0; /* scale: 0 none, 1 nps, 2 rating */
    bool mild = mood == S_NEG && s_chance(r, 150);
    bool noise = s_chance(r, 40);
    if (kind == S_KIND_NPS) {
        scale = 1;
        score = noise             ? (int)s_below(r, 11)
                : mild            ? S_PICK(r, s_nps_mild)
                : mood == S_NEG   ? S_PICK(r, s_nps_neg)
                : mood == S_POS   ? S_PICK(r, s_nps_pos)
                                  : S_PICK(r, s_nps_neu);
    } else if (kind == S_KIND_SURVEY && s_chance(r, 550)) {
        scale = 2;
        score = noise ? 1 + (int)s_below(r, 5)
                : mood == S_NEG && !mild ? S_PICK(r, s_rating_neg)
                : mood == S_POS          ? S_PICK(r, s_rating_pos)
                                         : S_PICK(r, s_rating_neu);
    }

    /* Most tickets have a subject line. */
    bool has_subject = kind == S_KIND_TICKET && s_chance(r, 720);
    if (has_subject) {
        s_text *sj = &g->subject;
        sj->len = 0;
        sj->cap = false; /* subjects are written as they should look ("iOS app issue") */
        if (s_chance(r, 50))
            s_add_str(sj, S_SUBJECT_MAX, s_chance(r, 500) ? "URGENT: " : "Re: ");
        if (generic)
            s_say(g, sj, S_SUBJECT_MAX, S_PICK(r, s_generic_subject));
        else
            s_say(g, sj, S_SUBJECT_MAX, p->subjects[s_below(r, (uint32_t)p->nsubjects)]);
    }

    char when[20];
    s_format_time(created, when);
    s_out *o = &g->out;
    s_out_reserve(o);
    if (g->csv) {
        /* uid,created_at,kind,source,score,plan,region,subject,text */
        S_LIT(o, "gen-");
        s_put_u64(o, g->seed);
        s_putc(o, '-');
        s_put_u64(o, n);
        s_putc(o, ',');
        s_put(o, when, sizeof when);
        s_putc(o, ',');
        s_puts(o, s_kind_names[kind]);
        s_putc(o, ',');
        s_puts(o, source);
        s_putc(o, ',');
        if (scale)
            s_put_int(o, score);
        s_putc(o, ',');
        s_puts(o, s_plan_names[g->plan]);
        s_putc(o, ',');
        s_puts(o, s_region_names[g->region]);
        s_putc(o, ',');
        if (has_subject)
            s_put_csv(o, g->subject.buf, g->subject.len);
        s_putc(o, ',');
        s_put_csv(o, g->text.buf, g->text.len);
        s_putc(o, '\n');
        return;
    }
    S_LIT(o, "{\"uid\":\"gen-");
    s_put_u64(o, g->seed);
    s_putc(o, '-');
    s_put_u64(o, n);
    S_LIT(o, "\",\"source\":\"");
    s_puts(o, source);
    S_LIT(o, "\",\"kind\":\"");
    s_puts(o, s_kind_names[kind]);
    S_LIT(o, "\",\"created_at\":\"");
    s_put(o, when, sizeof when);
    S_LIT(o, "\",\"customer_id\":\"cus_");
    s_put_u64(o, customer + 1);
    S_LIT(o, "\",\"account\":");
    s_put_json(o, g->account, strlen(g->account));
    S_LIT(o, ",\"attrs\":{\"plan\":\"");
    s_puts(o, s_plan_names[g->plan]);
    S_LIT(o, "\",\"region\":\"");
    s_puts(o, s_region_names[g->region]);
    S_LIT(o, "\"}");
    if (scale) {
        S_LIT(o, ",\"score\":");
        s_put_int(o, score);
        if (scale == 1)
            S_LIT(o, ",\"scale\":\"nps\"");
        else
            S_LIT(o, ",\"scale\":\"rating\"");
    }
    if (has_subject) {
        S_LIT(o, ",\"subject\":");
        s_put_json(o, g->subject.buf, g->subject.len);
    }
    S_LIT(o, ",\"text\":");
    s_put_json(o, g->text.buf, g->text.len);
    S_LIT(o, "}\n");
}

/* ---- malformed lines ------------------------------------------------------ */

enum { S_BAD_JSON = 0, S_BAD_NO_TEXT, S_BAD_SCORE, S_BAD_DATE, S_BAD_UTF8, S_BAD_KINDS };

/* The k-th malformed line (0-based); its kind is k % 5. They come from their
 * own random stream so --malformed leaves the good items unchanged. In CSV,
 * where "bad JSON" has no meaning and an unbalanced quote would swallow the
 * rest of the file, the first kind is a score that is not a number. */
static void s_write_bad(s_gen *g, s_rng *r, uint64_t k)
{
    s_out *o = &g->out;
    char when[20];
    s_format_time(g->start + (int64_t)s_below(r, g->days) * 86400 + s_below(r, 86400), when);
    unsigned kind = (unsigned)(k % S_BAD_KINDS);
    s_out_reserve(o);
    if (g->csv) {
        S_LIT(o, "gen-");
        s_put_u64(o, g->seed);
        S_LIT(o, "-bad-");
        s_put_u64(o, k + 1);
        s_putc(o, ',');
        if (kind == S_BAD_DATE)
            s_puts(o, k % 2 ? "2026-13-45T25:61:00Z" : "last tuesday");
        else
            s_put(o, when, sizeof when);
        S_LIT(o, ",nps,api,");
        if (kind == S_BAD_JSON)
            S_LIT(o, "seven");
        else if (kind == S_BAD_SCORE)
            s_put_int(o, k % 2 ? -3 : 14);
        else
            s_putc(o, '5');
        S_LIT(o, ",team,na,,");
        if (kind == S_BAD_UTF8)
            S_LIT(o, "caf\xc3\x28 broken \xff\xfe bytes in the export");
        else if (kind != S_BAD_NO_TEXT)
            S_LIT(o, "the export is slow");
        s_putc(o, '\n');
        return;
    }
    S_LIT(o, "{\"uid\":\"gen-");
    s_put_u64(o, g->seed);
    S_LIT(o, "-bad-");
    s_put_u64(o, k + 1);
    S_LIT(o, "\",\"source\":\"api\",\"kind\":\"nps\",\"created_at\":\"");
    if (kind == S_BAD_DATE)
        s_puts(o, k % 2 ? "2026-13-45T25:61:00Z" : "last tuesday");
    else
        s_put(o, when, sizeof when);
    S_LIT(o, "\",\"score\":");
    s_put_int(o, kind == S_BAD_SCORE ? (k % 2 ? -3 : 14) : 5);
    S_LIT(o, ",\"scale\":\"nps\"");
    switch (kind) {
    case S_BAD_JSON: /* cut off mid-string, as a truncated upload would be */
        S_LIT(o, ",\"text\":\"the export is sl");
        break;
    case S_BAD_NO_TEXT:
        S_LIT(o, "}");
        break;
    case S_BAD_UTF8:
        S_LIT(o, ",\"text\":\"caf\xc3\x28 broken \xff\xfe bytes in the export\"}");
        break;
    default:
        S_LIT(o, ",\"text\":\"the export is slow\"}");
    }
    s_putc(o, '\n');
}

/* ---- main ----------------------------------------------------------------- */

static int s_usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "voc-gen: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see --help)\n");
    return S_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    voc_err err = {0};
    voc_opts *opts = NULL;
    s_gen *g = NULL;
    FILE *fp = NULL;
    int status = S_EXIT_USAGE;
    const char *const *args;

    if (voc_opts_parse(&opts, s_opts, argc - 1, argv + 1, &err)) {
        fprintf(stderr, "voc-gen: %s\n", err.msg);
        goto out;
    }
    if (voc_opts_help(opts)) {
        voc_opts_print_help(
            stdout, "voc-gen [--count N] [--seed S] [--format jsonl|csv] [--out FILE] [options]",
            "Generate synthetic B2B SaaS feedback (NPS comments, survey answers, support\n"
            "tickets) for benchmarks and tests. JSON Lines items follow docs/protocol.md;\n"
            "CSV has the header uid,created_at,kind,source,score,plan,region,subject,text,\n"
            "which voc-collect file maps without --map. The same seed gives the same bytes.\n"
            "Malformed lines cycle through bad JSON (in CSV: a score that is not a number),\n"
            "missing text, score out of range, bad date and invalid UTF-8; their uids are\n"
            "gen-SEED-bad-K, and the other items are the same as without --malformed.\n"
            "Exit status: 0 ok, 1 runtime failure (e.g. cannot write FILE), 2 usage error.",
            s_opts);
        status = S_EXIT_OK;
        goto out;
    }
    if (voc_opts_args(opts, &args) > 0) {
        status = s_usage_error("unexpected argument '%s'", args[0]);
        goto out;
    }
    long long count = voc_opts_int(opts, "count"), seed = voc_opts_int(opts, "seed"),
              days = voc_opts_int(opts, "days"), bad = voc_opts_int(opts, "malformed");
    const char *format = voc_opts_str(opts, "format");
    const char *out_path = voc_opts_str(opts, "out");
    int64_t start;
    if (count < 0 || count > S_MAX_COUNT) {
        status = s_usage_error("--count must be 0 to %s", "1000000000");
        goto out;
    }
    if (bad < 0 || bad > S_MAX_COUNT) {
        status = s_usage_error("--malformed must be 0 to %s", "1000000000");
        goto out;
    }
    if (seed < 0) {
        status = s_usage_error("--seed must be %s", "0 or more");
        goto out;
    }
    if (days < 1 || days > S_MAX_DAYS) {
        status = s_usage_error("--days must be 1 to %s", "36600");
        goto out;
    }
    if (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0) {
        status = s_usage_error("--format: '%s' is not jsonl or csv", format);
        goto out;
    }
    if (voc_time_parse(voc_opts_str(opts, "start"), &start, &err)) {
        fprintf(stderr, "voc-gen: --start: %s (see --help)\n", err.msg);
        goto out;
    }
    start -= ((start % 86400) + 86400) % 86400; /* the start of that day */
    if (start < 0 || start / 86400 + days > voc_days_from_civil(9999, 12, 31)) {
        status = s_usage_error("--start: '%s' with --days must stay within 1970-9999",
                               voc_opts_str(opts, "start"));
        goto out;
    }

    status = S_EXIT_RUNTIME;
    if (out_path && strcmp(out_path, "-") != 0) {
        fp = fopen(out_path, "wb");
        if (!fp) {
            fprintf(stderr, "voc-gen: cannot open %s: %s\n", out_path, strerror(errno));
            goto out;
        }
    }
    g = voc_calloc(1, sizeof *g);
    g->seed = (uint64_t)seed;
    g->start = start;
    g->days = (uint32_t)days;
    g->csv = strcmp(format, "csv") == 0;
    g->customers = (uint64_t)count / 4 < 100 ? 100 : (uint64_t)count / 4;
    if (g->customers > UINT32_MAX / 2)
        g->customers = UINT32_MAX / 2;
    g->accounts = g->customers / 12 < 20 ? 20 : g->customers / 12;
    g->out.fp = fp ? fp : stdout;
    g->out.buf = voc_malloc(S_OUT_CAP);
    s_rng_seed(&g->rng, (uint64_t)seed);
    s_rng bad_rng;
    s_rng_seed(&bad_rng, (uint64_t)seed ^ 0xbad0bad0bad0bad0ULL);

    if (g->csv)
        S_LIT(&g->out, "uid,created_at,kind,source,score,plan,region,subject,text\n");
    /* Malformed line k sits at line (2k+1)*total/(2*bad) of total: evenly
     * spread, never two at one place, none at either end unless bad is large. */
    uint64_t total = (uint64_t)count + (uint64_t)bad, item = 0, k = 0;
    uint64_t next_bad = bad ? total / (2 * (uint64_t)bad) : UINT64_MAX;
    for (uint64_t line = 0; line < total; line++) {
        if (line == next_bad) {
            s_write_bad(g, &bad_rng, k);
            k++;
            next_bad = k < (uint64_t)bad ? (2 * k + 1) * total / (2 * (uint64_t)bad) : UINT64_MAX;
        } else {
            s_write_item(g, ++item);
        }
        if (g->out.error)
            break;
    }
    s_out_flush(&g->out);
    if (!g->out.error && fflush(g->out.fp) != 0)
        g->out.error = errno ? errno : EIO;
    if (!g->out.error && fp) {
        int rc = fclose(fp);
        fp = NULL;
        if (rc != 0)
            g->out.error = errno ? errno : EIO;
    }
    if (g->out.error) {
        fprintf(stderr, "voc-gen: error writing %s: %s\n",
                out_path && strcmp(out_path, "-") != 0 ? out_path : "stdout",
                strerror(g->out.error));
        goto out;
    }
    status = S_EXIT_OK;
out:
    if (fp)
        fclose(fp);
    if (g)
        free(g->out.buf);
    free(g);
    voc_opts_destroy(&opts);
    return status;
}
