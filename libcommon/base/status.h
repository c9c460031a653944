/* status.h - the exit statuses every program shares.
 *
 * They are the record format's statuses (sluice-rec(5)), so a script can
 * tell a bad command line from a damaged stream from a failed write the
 * same way for every program; a program documents any narrower meaning
 * in its man page's EXIT STATUS.  Names, never bare numbers, in die(). */
#ifndef SLUICE_STATUS_H
#define SLUICE_STATUS_H

enum exit_status {
	STATUS_OK = 0,
	STATUS_FAIL = 1,      /* an I/O error, or any failure not listed below */
	STATUS_USAGE = 2,     /* bad command line */
	STATUS_MAGIC = 3,     /* not a record stream / bad frame magic */
	STATUS_TRUNCATED = 4, /* input ended inside a frame */
	STATUS_CHECKSUM = 5,  /* head or body checksum mismatch */
	STATUS_NO_END = 6,    /* input ended without the end marker */
	STATUS_TOO_LARGE = 7, /* frame over the size limit */
	STATUS_MALFORMED = 8, /* frames out of order, bad counts, bad payload layout */
};

#endif
