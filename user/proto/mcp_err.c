// SPDX-License-Identifier: GPL-2.0-only
/*
 * mcp_err.c - filling a refusal and sanitising untrusted text for it (see
 * mcp.h, mcp_err.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mcp_err.h"

int mcp_error_set(struct mcp_error *err, int code, int http_status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->code = code;
	err->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

char *mcp_sanitize(char *dst, size_t dst_len, const char *src, size_t len)
{
	size_t used = 0, safe = 0;	/* safe: a cut here leaves room for "..." */

	if (!dst_len)
		return dst;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		char piece[5];
		int n = c == '"' || c == '\\' ? snprintf(piece, sizeof(piece), "\\%c", c) :
			c >= 0x20 && c < 0x7f ? snprintf(piece, sizeof(piece), "%c", c) :
			snprintf(piece, sizeof(piece), "\\x%02x", c);

		if (used + (size_t)n + 1 > dst_len) {
			if (dst_len >= 4) {	/* else too small to mark the cut */
				used = safe;
				memcpy(dst + used, "...", 3);
				used += 3;
			}
			break;
		}
		memcpy(dst + used, piece, (size_t)n);
		used += (size_t)n;
		if (used + 4 <= dst_len)
			safe = used;
	}
	dst[used] = '\0';
	return dst;
}
