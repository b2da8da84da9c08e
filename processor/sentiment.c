/* sentiment.c: lexicon sentiment over tokens (see sentiment.h).
 *
 * The lexicon is written for product feedback: beside general opinion words
 * it knows that "slow", "crash", "laggy" and "overpriced" are complaints. Its
 * words are stemmed at creation with the tokenizer's stemmer, so lookups at
 * score time compare stems and every inflection counts. */
#include "processor/sentiment.h"

#include "common/alloc.h"
#include "processor/tokenize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct s_entry {
    const char *word;
    double valence;
} s_entry;

/* Valences from -3 (strongly negative) to +3 (strongly positive). Words
 * whose stem collides with a neutral word are left out: "useful" stems to
 * "use", "works" to "work", "improvement" to "improv" (as in "please
 * improve"). */
static const s_entry s_lexicon[] = {
    /* praise */
    {"love", 3},
    {"amazing", 3},
    {"awesome", 3},
    {"excellent", 3},
    {"fantastic", 3},
    {"outstanding", 3},
    {"wonderful", 3},
    {"perfect", 2.5},
    {"brilliant", 2.5},
    {"superb", 2.5},
    {"best", 2.5},
    {"great", 2.5},
    {"delighted", 2.5},
    {"impressed", 2},
    {"recommend", 2},
    {"enjoy", 2},
    {"happy", 2},
    {"pleased", 2},
    {"glad", 1.5},
    {"helpful", 2},
    {"intuitive", 2},
    {"reliable", 2},
    {"seamless", 2},
    {"smooth", 1.5},
    {"good", 1.5},
    {"nice", 1.5},
    {"easy", 1.5},
    {"easily", 1.5},
    {"fast", 1.5},
    {"quick", 1.5},
    {"quickly", 1.5},
    {"friendly", 1.5},
    {"responsive", 1.5},
    {"solid", 1.5},
    {"thanks", 1.5},
    {"thank", 1.5},
    {"appreciate", 1.5},
    {"clean", 1},
    {"simple", 1},
    {"fine", 0.5},
    {"resolved", 1},
    {"satisfied", 1.5},
    {"kudos", 2},
    {"lifesaver", 2.5},
    /* complaints */
    {"hate", -3},
    {"worst", -3},
    {"terrible", -3},
    {"horrible", -3},
    {"awful", -3},
    {"useless", -2.5},
    {"unacceptable", -2.5},
    {"ridiculous", -2.5},
    {"disgusting", -3},
    {"scam", -3},
    {"furious", -3},
    {"angry", -2.5},
    {"frustrating", -2.5},
    {"frustrated", -2.5},
    {"frustration", -2.5},
    {"disappointed", -2.5},
    {"disappointing", -2.5},
    {"poor", -2},
    {"bad", -2},
    {"broken", -2},
    {"unusable", -2.5},
    {"unreliable", -2},
    {"annoying", -2},
    {"annoyed", -2},
    {"confusing", -1.5},
    {"confused", -1.5},
    {"clunky", -1.5},
    {"buggy", -2},
    {"bug", -1.5},
    {"bugs", -1.5},
    {"crash", -2},
    {"crashes", -2},
    {"crashed", -2},
    {"crashing", -2},
    {"freeze", -2},
    {"freezes", -2},
    {"frozen", -2},
    {"glitch", -1.5},
    {"glitchy", -1.5},
    {"error", -1.5},
    {"errors", -1.5},
    {"fail", -2},
    {"fails", -2},
    {"failed", -2},
    {"failure", -2},
    {"outage", -2},
    {"slow", -1.5},
    {"sluggish", -1.5},
    {"laggy", -1.5},
    {"lag", -1.5},
    {"lost", -1.5},
    {"missing", -1},
    {"problem", -1},
    {"problems", -1},
    {"issue", -0.5},
    {"issues", -0.5},
    {"difficult", -1.5},
    {"hard", -1},
    {"impossible", -2},
    {"waste", -2},
    {"wasted", -2},
    {"overpriced", -2},
    {"expensive", -1.5},
    {"overcharged", -2.5},
    {"rude", -2.5},
    {"unhelpful", -2},
    {"ignored", -2},
    {"ignoring", -2},
    {"complain", -1.5},
    {"complaint", -1.5},
    {"cancel", -1},
    {"cancelling", -1},
    {"canceling", -1},
    {"worse", -2},
    {"painful", -2},
    {"nightmare", -3},
    {"mess", -2},
    {"slowly", -1},
    {"stuck", -1.5},
    {"wrong", -1.5},
    {"unfortunately", -1},
    {"sucks", -2.5},
    {"garbage", -3},
    {"joke", -2},
    {"downtime", -2},
    {"timeout", -1.5},
    {"unresponsive", -2},
    {"misleading", -2},
    {"refuse", -1.5},
    {"refused", -1.5},
};

static const char *const s_default_negations[] = {
    "not",      "no",      "never",   "without", "nothing", "nobody",   "none",
    "neither",  "nor",     "don't",   "didn't",  "doesn't", "isn't",    "wasn't",
    "aren't",   "weren't", "can't",   "cannot",  "won't",   "wouldn't", "shouldn't",
    "couldn't", "hasn't",  "haven't", "hardly",  "barely",  "dont",     "didnt",
    "doesnt",   "isnt",    "cant",    "wont",    NULL};

static const char *const s_intensifiers[] = {
    "very",       "really",     "extremely", "so",      "super",     "incredibly", "totally",
    "absolutely", "completely", "too",       "utterly", "seriously", NULL};
static const char *const s_diminishers[] = {"slightly", "somewhat", "bit",    "little",
                                            "kinda",    "fairly",   "mostly", NULL};

typedef struct s_slot {
    char *key;
    double value;
} s_slot;

struct voc_sentiment {
    s_slot *lex; /* stem -> valence */
    size_t lex_cap;
    s_slot *cue; /* norm -> 1 negation, 2 intensifier, 3 diminisher */
    size_t cue_cap;
};

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static s_slot *s_find(s_slot *tab, size_t cap, const char *key)
{
    size_t mask = cap - 1;
    for (size_t i = s_hash(key) & mask;; i = (i + 1) & mask)
        if (!tab[i].key || strcmp(tab[i].key, key) == 0) return &tab[i];
}

static void s_put(s_slot *tab, size_t cap, const char *key, double value)
{
    s_slot *s = s_find(tab, cap, key);
    if (s->key) return; /* the first entry of a stem wins */
    s->key = voc_strdup(key);
    s->value = value;
}

int voc_sentiment_new(voc_sentiment **out, const char *const *negations,
                      const voc_lexicon_entry *lexicon, size_t lexicon_count, voc_err *err)
{
    *out = NULL;
    voc_tokenizer *tok = NULL;
    int rc = voc_tokenizer_new(&tok, NULL, err);
    if (rc) return rc;
    voc_sentiment *s = voc_calloc(1, sizeof *s);
    s->lex_cap = 512;
    while (s->lex_cap < (lexicon_count + 200) * 2)
        s->lex_cap *= 2;
    s->lex = voc_calloc(s->lex_cap, sizeof *s->lex);
    /* The team's words first: the first entry of a stem wins. */
    for (size_t i = 0; i < lexicon_count; i++) {
        char lower[128], stem[128];
        size_t n = strlen(lexicon[i].word);
        if (n >= sizeof lower) n = sizeof lower - 1;
        for (size_t k = 0; k < n; k++) {
            char c = lexicon[i].word[k];
            lower[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        voc_tokenizer_stem(tok, lower, n, stem, sizeof stem);
        s_put(s->lex, s->lex_cap, stem, lexicon[i].valence);
    }
    for (size_t i = 0; i < sizeof s_lexicon / sizeof s_lexicon[0]; i++) {
        char stem[128];
        voc_tokenizer_stem(tok, s_lexicon[i].word, strlen(s_lexicon[i].word), stem, sizeof stem);
        s_put(s->lex, s->lex_cap, stem, s_lexicon[i].valence);
    }
    size_t n = 0;
    const char *const *neg = negations && negations[0] ? negations : s_default_negations;
    while (neg[n])
        n++;
    s->cue_cap = 64;
    while (s->cue_cap < (n + 40) * 2)
        s->cue_cap *= 2;
    s->cue = voc_calloc(s->cue_cap, sizeof *s->cue);
    for (size_t i = 0; i < n; i++)
        s_put(s->cue, s->cue_cap, neg[i], 1);
    for (size_t i = 0; s_intensifiers[i]; i++)
        s_put(s->cue, s->cue_cap, s_intensifiers[i], 2);
    for (size_t i = 0; s_diminishers[i]; i++)
        s_put(s->cue, s->cue_cap, s_diminishers[i], 3);
    voc_tokenizer_destroy(&tok);
    *out = s;
    return 0;
}

void voc_sentiment_destroy(voc_sentiment **self_p)
{
    if (!self_p || !*self_p) return;
    voc_sentiment *s = *self_p;
    for (size_t i = 0; i < s->lex_cap; i++)
        free(s->lex[i].key);
    for (size_t i = 0; i < s->cue_cap; i++)
        free(s->cue[i].key);
    free(s->lex);
    free(s->cue);
    free(s);
    *self_p = NULL;
}

double voc_sentiment_word(const voc_sentiment *s, const char *word)
{
    voc_tokenizer *tok = NULL;
    if (voc_tokenizer_new(&tok, NULL, NULL)) return 0;
    char lower[128], stem[128];
    size_t n = strlen(word) < sizeof lower - 1 ? strlen(word) : sizeof lower - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (word[i] >= 'A' && word[i] <= 'Z') ? (char)(word[i] + 32) : word[i];
    voc_tokenizer_stem(tok, lower, n, stem, sizeof stem);
    voc_tokenizer_destroy(&tok);
    const s_slot *e = s_find(s->lex, s->lex_cap, stem);
    return e->key ? e->value : 0;
}

/* How far back a cue reaches, in tokens. */
#define S_CUE_REACH 3

static double s_squash(double x)
{
    return x / sqrt(x * x + 15.0);
}

static bool s_clause_break(const char *text, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        char c = text[i];
        if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n')
            return true;
    }
    return false;
}

/* The clause of the token at or after byte offset `at`. */
static size_t s_clause_at(const voc_item *it, const size_t *clause, uint32_t at)
{
    for (size_t i = 0; i < it->token_count; i++)
        if (it->tokens[i].end > at) return clause[i];
    return it->token_count ? clause[it->token_count - 1] : 0;
}

void voc_sentiment_score(const voc_sentiment *s, voc_item *it)
{
    size_t n = it->token_count;
    double *val = calloc(n ? n : 1, sizeof *val);
    size_t *clause = calloc(n ? n : 1, sizeof *clause);
    double before = 0, after = 0;
    bool seen_but = false, opinion = false;
    size_t cl = 0, last_neg = SIZE_MAX, last_int = SIZE_MAX, last_dim = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        const voc_token *t = &it->tokens[i];
        if (i && s_clause_break(it->text, it->tokens[i - 1].end, t->start)) {
            cl++;
            last_neg = last_int = last_dim = SIZE_MAX; /* cues stop at a clause end */
        }
        clause[i] = cl;
        const char *norm = it->token_arena + t->norm;
        const s_slot *cue = s_find(s->cue, s->cue_cap, norm);
        if (cue->key) {
            if (cue->value == 1)
                last_neg = i;
            else if (cue->value == 2)
                last_int = i;
            else
                last_dim = i;
            continue;
        }
        if (strcmp(norm, "but") == 0 || strcmp(norm, "however") == 0) {
            /* "Good tool but support is awful": the clause after wins. */
            before += after;
            after = 0;
            seen_but = true;
            clause[i] = ++cl;
            last_neg = last_int = last_dim = SIZE_MAX;
            continue;
        }
        const s_slot *e = s_find(s->lex, s->lex_cap, it->token_arena + t->stem);
        if (!e->key || e->value == 0) continue;
        double v = e->value;
        if (last_int != SIZE_MAX && i - last_int <= 2) v *= 1.5;
        if (last_dim != SIZE_MAX && i - last_dim <= 2) v *= 0.6;
        if (last_neg != SIZE_MAX && i - last_neg <= S_CUE_REACH)
            v *= -0.6; /* "not great" is negative, but less than "awful" */
        val[i] = v;
        after += v;
        opinion = true;
    }
    double text = s_squash(seen_but ? 0.5 * before + 1.5 * after : after);
    double score = text;
    if (it->scale != VOC_SCALE_NONE) {
        double sv = it->scale == VOC_SCALE_NPS ? (it->score - 5) / 5.0 : (it->score - 3) / 2.0;
        score = opinion ? 0.65 * text + 0.35 * sv : 0.5 * sv;
    }
    it->sentiment = score;
    it->has_sentiment = true;

    for (size_t t = 0; t < it->theme_count; t++) {
        voc_item_theme *th = &it->themes[t];
        double sum = 0;
        bool any = false;
        size_t seen[16];
        size_t nseen = 0;
        for (size_t e = 0; e < th->evidence_count && nseen < 16; e++) {
            size_t c = s_clause_at(it, clause, th->evidence[e].start);
            bool dup = false;
            for (size_t k = 0; k < nseen; k++)
                dup = dup || seen[k] == c;
            if (dup) continue;
            seen[nseen++] = c;
            for (size_t i = 0; i < n; i++)
                if (clause[i] == c && val[i] != 0) {
                    sum += val[i];
                    any = true;
                }
        }
        th->sentiment = any ? s_squash(sum) : score;
        th->has_sentiment = true;
    }
    free(val);
    free(clause);
}
