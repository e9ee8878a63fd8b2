#!/usr/bin/python3
"""What mandoc -T lint lets through and a reader trips on (docs/man/check.sh).

    docs/man/quoting.py PAGE...

For each page (.so links skipped):
 - in the source, a .Dl display too wide for the page (mandoc wraps it);
 - in the source, an mdoc macro line whose quoted argument closes on a
   quote that a word continues (`"password":`): the writer meant a literal
   double quote, which inside a macro line is \\(dq; mandoc eats the quotes;
 - in the text mandoc renders, a paragraph whose parentheses do not
   balance, or a double quote glued to another (`"CAP_X""`, a Qq that
   swallowed the rest of its line), outside an empty "" on its own.
Exit 1, naming page, line or paragraph, on any finding.
"""
import re
import subprocess
import sys


def quoted_args_closed_inside_words(line):
    """Yield each quoted argument of a macro line whose closing quote is
    followed by something other than a blank (mdoc argument rules:
    a quote opens an argument only at the start of a word, "" inside it is
    a literal quote)."""
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in ' \t':
            i += 1
        if i >= n:
            return
        if line[i] == '"':
            j = i + 1
            while j < n:
                if line[j] == '"' and j + 1 < n and line[j + 1] == '"':
                    j += 2
                    continue
                if line[j] == '"':
                    break
                j += 1
            if j + 1 < n and line[j + 1] not in ' \t':
                yield line[i:j + 2]
            i = j + 1
        else:
            while i < n and line[i] not in ' \t':
                i += 1 + (line[i] == '\\')
    return


def main(pages):
    bad = 0
    for page in pages:
        with open(page, encoding='utf-8') as f:
            src = f.read()
        if src.startswith('.so '):
            continue
        for num, line in enumerate(src.splitlines(), 1):
            if not line.startswith('.') or line.startswith('.\\"'):
                continue
            # A one-line display wider than the page is wrapped by mandoc,
            # and a reader who copies the command gets two broken ones.
            if line.startswith('.Dl ') and len(line) > 80:
                print(f'{page}:{num}: a .Dl line mandoc wraps: use .Bd -literal with a \\e continuation')
                bad = 1
            for arg in quoted_args_closed_inside_words(line[1:]):
                print(f'{page}:{num}: a quoted argument ends inside a word ({arg}...): '
                      'a literal double quote in a macro line is \\(dq')
                bad = 1
        out = subprocess.run(['mandoc', '-T', 'ascii', page], capture_output=True,
                             text=True, check=True).stdout
        out = re.sub(r'.\x08', '', out)
        for para in re.split(r'\n[ \t]*\n', out):
            flat = ' '.join(para.split())
            if flat.count('(') != flat.count(')'):
                print(f'{page}: unbalanced parentheses in: {flat[:160]}')
                bad = 1
            if re.search(r'[^\s(]""|""[^\s),.;:]', flat):
                print(f'{page}: a double quote glued to another in: {flat[:160]}')
                bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
