/* personnummer.h - screening free text for Swedish personal identity
 * numbers (personnummer) and coordination numbers (samordningsnummer).
 *
 * Pure: no I/O. A match is 10 digits (YYMMDD-NNNC, separator '-' or '+'
 * or none) or 12 digits (YYYYMMDD-NNNC / YYYYMMDDNNNC, year 1800..2099)
 * whose date is a real calendar date (for coordination numbers the day is
 * 61..91, i.e. day+60) and whose last digit is the Luhn check digit of the
 * 9 digits before it in the 10-digit form (YYMMDDNNN). The separator may be
 * '-' or '+' (with an optional space on either side), an en dash, or a
 * single space or no-break space alone. In the 10-digit form
 * the century is unknown, so Feb 29 is accepted when YY % 4 == 0; the
 * 12-digit form uses the Gregorian rule. Digits that are part of a longer
 * digit run never match (so longer order or phone numbers do not trigger
 * it); other separators (two dashes, two spaces) do not match. */
#ifndef ESTD_PERSONNUMMER_H
#define ESTD_PERSONNUMMER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The field-error detail used wherever a free-text field is refused. */
#define EST_PNR_DETAIL "contains a personnummer or samordningsnummer; remove it before reporting"

/* Finds the first match in text[0..len) starting at or after from (a
 * position inside a digit run is skipped to the run's end). On a match
 * returns true and sets *start and *mlen (bytes). */
bool est_pnr_find(const char *text, size_t len, size_t from, size_t *start, size_t *mlen);
/* True if text contains at least one match. */
bool est_pnr_contains(const char *text);
/* Replaces the digits of every match in place with 'X' (separators kept);
 * returns the number of matches redacted. */
int est_pnr_redact(char *text);
/* The same over len arbitrary bytes (not NUL-terminated; raw Kafka values,
 * keys, headers): every match's digits become 'X', the length is kept. */
int est_pnr_redact_bytes(void *buf, size_t len);

/* est_pnr_redact_bytes, and also numbers written with JSON escapes
 * (\u0038\u0035...): each escaped digit of a match becomes \u0058 ('X').
 * Keeps the length; JSON strings stay valid (a bare JSON number that is a
 * match becomes X's, which no longer parses). For anything kept raw
 * (dead letters). */
int est_pnr_redact_raw(void *buf, size_t len);

/* Called with the JSON pointer of each match ("" for the root). */
typedef void (*est_pnr_report_fn)(void *arg, const char *pointer);
/* Screens every string, object key and integer of a JSON value, at any
 * depth; returns the number of matches (report, if not NULL, gets each
 * one's pointer). With redact, strings and keys are redacted in place and
 * an integer that is a number becomes the string of its digits as 'X'. */
int est_pnr_screen_json(json_t *v, bool redact, est_pnr_report_fn report, void *arg);
/* If the JSON text holds a match: a malloc'd compact, redacted copy;
 * NULL if it holds none or is not JSON. */
char *est_pnr_redact_json_text(const char *text);

#endif
