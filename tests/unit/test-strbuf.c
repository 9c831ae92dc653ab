/* test-strbuf.c - text as sandbox-venv shows it on a terminal
 * (strbuf_add_shown). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tap.h"

static void shown_is(const char *in, unsigned flags, const char *want, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_shown(&sb, in, flags);
	is_str(sb.buf, want, what);
	strbuf_release(&sb);
}

int main(void)
{
	/* What must come out as it went in. */
	shown_is("plain text, tab\there", 0, "plain text, tab\there", "ASCII and tab unchanged");
	shown_is("two\nlines", 0, "two\nlines", "a newline kept in a message");
	shown_is("caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80 \xc2\xa0 \xe2\x82\xac", 0,
		 "caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80 \xc2\xa0 \xe2\x82\xac",
		 "well-formed UTF-8 unchanged (accents, CJK, emoji, no-break space, euro)");

	/* What a terminal would act on. */
	shown_is("a\033]0;OWNED\007b", 0, "a\\x1b]0;OWNED\\x07b", "ESC and BEL escaped");
	shown_is("\033[2K\x7f", 0, "\\x1b[2K\\x7f", "a CSI sequence and DEL escaped");
	shown_is("\xc2\x9b" "1A", 0, "\\xc2\\x9b1A", "C1 CSI as UTF-8 escaped");
	shown_is("\x9b" "1A", 0, "\\x9b1A", "a raw C1 byte escaped");
	shown_is("0\x80\x9b", 0, "0\\x80\\x9b", "a raw C1 byte after a stray continuation byte");
	shown_is("\xff\x9b \xe9\x9b \xc0\x9b \xe0\x82\x9b", 0,
		 "\\xff\\x9b \\xe9\\x9b \\xc0\\x9b \\xe0\\x82\\x9b",
		 "every byte of an ill-formed sequence escaped (invalid lead, truncated, overlong)");
	shown_is("\xed\xa0\x80 \xf4\x90\x80\x80", 0, "\\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80",
		 "a surrogate and a code point above U+10FFFF escaped");
	shown_is("\xe2\x82", 0, "\\xe2\\x82", "a sequence cut by the end of the string escaped");

	/* One line: a name cannot start a line of its own. */
	shown_is("zz\nsandbox-venv: hint: run this", SHOWN_ONE_LINE,
		 "zz\\x0asandbox-venv: hint: run this", "one line: a newline escaped");
	shown_is("a\tb", SHOWN_ONE_LINE, "a\tb", "one line: a tab kept");
	{
		char *s = str_shown("bin/x\ny\033");

		is_str(s, "bin/x\\x0ay\\x1b", "str_shown: one line, escaped, in a new string");
		free(s);
	}
	return done_testing();
}
