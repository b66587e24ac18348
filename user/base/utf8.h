/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * utf8.h - text cut to a fixed size stays valid UTF-8.
 *
 * Error messages quote what a client sent (a method, a tool name) and are
 * cut to a width and to their buffer.  A cut inside a multi-byte character
 * would make the JSON answer that carries the message invalid for a strict
 * reader.  utf8_mend_cuts() turns the bytes of every incomplete character
 * into '?', in place; valid text is left as it is.  It checks only sequence
 * lengths, which is all a cut can break (the quoted text was valid UTF-8
 * when it was parsed).
 */
#ifndef SL_UTF8_H
#define SL_UTF8_H

void utf8_mend_cuts(char *s);

#endif
