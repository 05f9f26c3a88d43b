/* personnummer.h - screening free text for Swedish personal identity
 * numbers (personnummer) and coordination numbers (samordningsnummer).
 *
 * Pure: no I/O. A match is 10 digits (YYMMDD-NNNC, separator '-' or '+'
 * or none) or 12 digits (YYYYMMDD-NNNC / YYYYMMDDNNNC, year 1800..2099)
 * whose date is a real calendar date (for coordination numbers the day is
 * 61..91, i.e. day+60) and whose last digit is the Luhn check digit of the
 * 9 digits before it in the 10-digit form (YYMMDDNNN). In the 10-digit form
 * the century is unknown, so Feb 29 is accepted when YY % 4 == 0; the
 * 12-digit form uses the Gregorian rule. Digits that are part of a longer
 * digit run never match (so longer order or phone numbers do not trigger
 * it); other separators (spaces, two dashes) do not match either. */
#ifndef ESTD_PERSONNUMMER_H
#define ESTD_PERSONNUMMER_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
