#!/usr/bin/env python3
"""Writes corpus.tsv, the labelled redaction corpus (RedactionCorpusTest reads it).

Deterministic (fixed seed): run it again after changing it and commit both. Every secret here is
random filler in a credential's shape, never a real one. Columns: class, the value that must be
redacted (for negatives '-'), the text; in the text \\n stands for a newline and \\t for a tab.
"""
import random, string, base64, json, os

rnd = random.Random(20261201)
rows = []

def add(cls, value, text):
    assert value == '-' or value in text, (value, text)
    rows.append((cls, value, text.replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t')))

def pick(s, n):
    return ''.join(rnd.choice(s) for _ in range(n))

ALNUM = string.ascii_letters + string.digits
HEX = '0123456789abcdef'

CONTEXTS = ['{}', 'contact: {}', 'Please reach me at {} today.', 'sent to {} by the agent', '"{}"',
            '({})', 'value={}', 'user said: {} — thanks', '<{}>', 'line one\nnext line {} end']

def ctx(value):
    return rnd.choice(CONTEXTS).format(value)

# ---- email ----
first = ['john', 'maria', 'li', 'ana', 'omar', 'sven', 'yuki', 'priya', 'jean-luc', 'o.brien', 'dev', 'x']
last = ['smith', 'garcia', 'wang', 'muller', 'rossi', 'kim', 'nguyen', 'patel', 'dubois', 'kowalski']
domains = ['example.com', 'sub.example.co.uk', 'mail.example.org', 'example.io', 'corp.example.net',
           'students.uni-example.edu', 'example.de', 'xn--exmple-cua.com', 'EXAMPLE.COM', 'a.b.c.example.travel']
for i in range(70):
    f, l, d = rnd.choice(first), rnd.choice(last), rnd.choice(domains)
    shape = i % 7
    local = [f + '.' + l, f + '.' + l + '+tag' + str(i), f + '_' + l, f[0] + l + str(rnd.randint(1, 99)),
             (f + l).upper(), f + '-' + l, f + '%' + l][shape]
    email = local + '@' + d
    add('email', email, ctx(email) if i % 3 else 'mailto:' + email)

# ---- phone ----
def d(n):
    return pick(string.digits, n)
us_areas = ['415', '212', '650', '312', '202', '617', '305', '206', '512', '303', '718', '404']
def us_line():
    return rnd.choice('23456789') + d(2), d(4)
phones = []
for i in range(24):
    a = rnd.choice(us_areas)
    x, n = us_line()
    phones.append([f'({a}) {x}-{n}', f'{a}-{x}-{n}', f'{a}.{x}.{n}', f'+1-{a}-{x}-{n}', f'+1 {a} {x} {n}',
                   f'1-{a}-{x}-{n}'][i % 6])
intl = [
    lambda: '+44 20 7946 0' + d(3),
    lambda: '+44 7911 ' + rnd.choice('123456789') + d(5),
    lambda: '+33 1 ' + ' '.join(d(2) for _ in range(4)),
    lambda: '+33 6 ' + ' '.join(d(2) for _ in range(4)),
    lambda: '+49 30 ' + rnd.choice('23456789') + d(6),
    lambda: '+49 151 ' + d(8),
    lambda: '+81 3-3' + d(3) + '-' + d(4),
    lambda: '+81 90-' + rnd.choice('123456789') + d(3) + '-' + d(4),
    lambda: '+91 98' + d(3) + ' ' + d(5),
    lambda: '+61 2 9' + d(3) + ' ' + d(4),
    lambda: '+61 4' + d(2) + ' ' + d(3) + ' ' + d(3),
    lambda: '+55 11 9' + rnd.choice('6789') + d(3) + '-' + d(4),
    lambda: '+34 91' + d(1) + ' ' + d(2) + ' ' + d(2) + ' ' + d(2),
    lambda: '+34 6' + d(2) + ' ' + d(2) + ' ' + d(2) + ' ' + d(2),
    lambda: '+39 06 ' + d(4) + ' ' + d(4),
    lambda: '+39 3' + d(2) + ' ' + d(3) + ' ' + d(4),
    lambda: '+1' + rnd.choice(us_areas) + rnd.choice('23456789') + d(6),
    lambda: '+44 161 496 0' + d(3),
]
for i in range(44):
    phones.append(intl[i % len(intl)]())
for p in phones:
    add('phone', p, ctx(p) if not p.startswith('(') else 'Call ' + p + ' after 5pm')

# ---- ip ----
def octet(lo=0, hi=255):
    return str(rnd.randint(lo, hi))
ips = []
for i in range(34):
    ip = '.'.join([octet(1, 223), octet(), octet(), octet(1, 254)])
    ips.append(ip)
ips += ['10.0.0.1', '192.168.1.20', '172.16.254.1', '127.0.0.1', '8.8.8.8', '203.0.113.7', '198.51.100.42',
        '255.255.255.255', '0.0.0.0', '100.64.0.1']
v6 = ['2001:db8::1', 'fe80::1ff:fe23:4567:890a', '::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
      '::ffff:192.0.2.128', 'fe80::1%eth0', '2001:db8:0:1234:0:567:8:1', '2606:4700:4700::1111', 'ff02::2',
      '2001:db8:a0b:12f0::1', 'fd12:3456:789a:1::1', '64:ff9b::198.51.100.1', '2001:db8::', '2001:db8:1::ab9:C0A8:102',
      '2a00:1450:4001:82b::200e', '2001:DB8:0:0:8:800:200C:417A']
ips += v6
ip_ctx = ['{}', 'client ip={} blocked', 'from {} port 22', '[{}]:8443', 'X-Forwarded-For: {}, 10.1.2.3',
          'ssh root@host ({})', '"ip": "{}"', 'route {}/24 via gw']
for i, ip in enumerate(ips):
    text = ip_ctx[i % len(ip_ctx)].format(ip)
    add('ip', ip, text)

# ---- card ----
def luhn_complete(prefix, length):
    body = prefix + d(length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return body + str((10 - total % 10) % 10)
card_kinds = [('4', 16), ('4', 13), ('4', 19), ('51', 16), ('55', 16), ('2221', 16), ('2720', 16), ('34', 15),
              ('37', 15), ('6011', 16), ('65', 16), ('36', 14), ('35', 16), ('62', 16), ('62', 19), ('5018', 16)]
for i in range(72):
    prefix, length = card_kinds[i % len(card_kinds)]
    number = luhn_complete(prefix, length)
    style = (i // len(card_kinds)) % 3
    if style == 0:
        text = number
    else:
        sep = ' ' if style == 1 else '-'
        if length == 15:
            groups = [number[:4], number[4:10], number[10:]]
        elif length == 14:
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i2:i2 + 4] for i2 in range(0, length, 4)]
        text = sep.join(groups)
    add('card', text, rnd.choice(['card {}', 'paid with {} yesterday', '{}', 'cc={}', '"pan": "{}"',
                                  'Card number: {} exp 12/29']).format(text))

# ---- secret ----
def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip('=')
secrets = []
for i in range(4):
    secrets.append(('AKIA' + pick(string.ascii_uppercase + '234567', 16), 'aws_access_key_id = {}'))
    secrets.append(('ASIA' + pick(string.ascii_uppercase + '234567', 16), 'export AWS_KEY={}'))
    secrets.append(('ghp_' + pick(ALNUM, 36), 'git remote set-url origin https://{}@github.com/o/r'))
    secrets.append(('gho_' + pick(ALNUM, 36), 'oauth: {}'))
    secrets.append(('github_pat_' + pick(ALNUM, 22) + '_' + pick(ALNUM, 59), 'GH_TOKEN {}'))
    secrets.append(('glpat-' + pick(ALNUM, 20), 'gitlab {}'))
    secrets.append(('xoxb-' + d(12) + '-' + d(12) + '-' + pick(ALNUM, 24), 'slack bot {}'))
    secrets.append(('xoxp-' + d(12) + '-' + d(12) + '-' + d(12) + '-' + pick(HEX, 32), '{}'))
    secrets.append(('sk_live_' + pick(ALNUM, 24), 'stripe key {}'))
    secrets.append(('rk_live_' + pick(ALNUM, 32), 'restricted {}'))
    secrets.append(('sk-proj-' + pick(ALNUM + '_-', 48), 'OPENAI_API_KEY={}'))
    secrets.append(('sk-' + pick(ALNUM, 48), 'using {} for the model'))
    secrets.append(('sk-ant-api03-' + pick(ALNUM + '_-', 93) + 'AA', 'anthropic {}'))
    secrets.append(('AIza' + pick(ALNUM + '_-', 35), 'maps key {}'))
    secrets.append(('npm_' + pick(ALNUM, 36), '//registry.npmjs.org/:_authToken={}'))
    header = b64url({'alg': 'HS256', 'typ': 'JWT'})
    payload = b64url({'sub': pick(string.digits, 10), 'name': rnd.choice(first), 'iat': 1700000000 + i})
    jwt = header + '.' + payload + '.' + pick(ALNUM + '_-', 43)
    secrets.append((jwt, 'id_token {}'))
    secrets.append(('hunter' + d(2) + pick(ALNUM, 4), 'password={}'))
    secrets.append((pick(ALNUM, 12), 'db_password: {}'))
    secrets.append((pick(ALNUM, 32), 'api_key={}'))
    secrets.append((pick(ALNUM + '._-', 40), 'Authorization: Bearer {}'))
    secrets.append((pick(ALNUM, 24), 'token={}&user=1'))
    secrets.append((pick(ALNUM, 20), '"client_secret": "{}"'))
    body = '\n'.join(pick(ALNUM + '+/', 64) for _ in range(5))
    pem = '-----BEGIN RSA PRIVATE KEY-----\n' + body + '\n-----END RSA PRIVATE KEY-----'
    secrets.append((pem, 'key file:\n{}\n'))
    secrets.append(('shpat_' + pick(HEX, 32), 'shopify {}'))
    secrets.append(('dop_v1_' + pick(HEX, 64), 'do token {}'))
for value, template in secrets:
    add('secret', value, template.format(value))

# ---- negatives: look-alikes that must stay ----
neg = []
for i in range(25):
    neg.append(rnd.choice(['v{}.{}.{}', '{}.{}.{}', 'version {}.{}.{}', 'node {}.{}.{}-rc1', 'pip install x=={}.{}.{}',
                           '^{}.{}.{}', 'nginx:{}.{}.{}']).format(rnd.randint(0, 30), rnd.randint(0, 40), rnd.randint(0, 200)))
for i in range(25):
    y, m, dd = rnd.randint(1990, 2030), rnd.randint(1, 12), rnd.randint(1, 28)
    neg.append(rnd.choice(['{y}-{m:02d}-{d:02d}', '{d:02d}/{m:02d}/{y}', '{m:02d}/{d:02d}/{y}', '{y}.{m:02d}.{d:02d}',
                           'due {y}{m:02d}{d:02d}', 'on {d}.{m}.{y}']).format(y=y, m=m, d=dd))
for i in range(20):
    h, mi, s = rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)
    neg.append(rnd.choice(['{:02d}:{:02d}:{:02d}', 'at {:02d}:{:02d}:{:02d} UTC', 'took {:02d}:{:02d}:{:02d}.250']).format(h, mi, s))
for i in range(25):
    ms = rnd.randint(1600000000000, 1800000000000)
    neg.append(rnd.choice(['{}-0', '{}-{}', 'entry {}-{}', 'occurred_at {}']).format(ms, rnd.randint(0, 40)))
for i in range(15):
    t = rnd.randint(1600000000, 1800000000)
    neg.append(rnd.choice(['ts={}', '{}000000', '{}123456 µs', 'epoch {}']).format(t))
for i in range(15):
    neg.append(f'2026-{rnd.randint(1,12):02d}-{rnd.randint(1,28):02d}T{rnd.randint(0,23):02d}:{rnd.randint(0,59):02d}:{rnd.randint(0,59):02d}.{d(6)}Z')
import uuid
for i in range(30):
    u = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    neg.append(rnd.choice(['{}', 'request_id={}', 'trace {}', '"id": "{}"']).format(u))
for i in range(30):
    n = [32, 40, 64, 7, 12][i % 5]
    h = pick(HEX, n)
    neg.append(rnd.choice(['{}', 'commit {}', 'sha256:{}', 'etag "{}"', 'md5={}', 'checksum: {}']).format(h))
for i in range(30):
    neg.append(rnd.choice(['task-{}', 'agent-{}', 'conv-{}', 'order #{}', 'INV-2026-{}', 'call_{}', 'msg_{}',
                           'exec-{}', 'user id {}', 'ticket JIRA-{}']).format(
        rnd.choice([str(rnd.randint(1, 999999)), pick(string.ascii_lowercase + string.digits, 10)])
        if i % 3 else rnd.randint(1, 9999)))
for i in range(25):
    neg.append(rnd.choice(['${:,}.{:02d}', '€{:,}.{:02d}', 'USD {},{:02d}', 'total: {:,}.{:02d} EUR', '¥{:,}.{:02d}']).format(
        rnd.randint(1, 9999999), rnd.randint(0, 99)))
for i in range(25):
    neg.append(rnd.choice(['{:,} rows', '{} tokens', 'processed {} records', 'tokens: {}', 'max_tokens={}', 'retries {}',
                           'count={}', '{} bytes', 'size {} KB']).format(rnd.randint(1, 99999999)))
neg += [
    'user at example dot com', 'name@localhost', 'ping @channel please', 'email me later', 'a@b', 'foo@bar',
    '123.456.789.0', '999.1.1.1', '1.2.3', '256.1.1.1', 'std::vector<int>', 'Foo::bar()', 'x :: Int -> Int',
    '00:1a:2b:3c:4d:5e', '4111111111111112', '1234 5678 9012 3456', '0000 0000 0000 0001', 'key: value',
    'password reset link sent', 'token count is high', 'uses Bearer authentication', 'api_key: ${API_KEY}',
    'password: null', 'sk-short', '37.7749,-122.4194', '1234567', '555-0100', 'ZIP 94103', 'ISBN 978-3-16-148410-0',
    'port 8080', 'localhost:5432', 'redis://localhost:6379', 'build 10.0.19041.1', 'python3.11.4', 'HTTP/1.1 200 OK',
    'lat 51.5072 lon -0.1276', 'chapter 3.2.1.4.5', 'ratio 0.4111111111111111', 'id 1700000000000-0 done',
    'see section 4.1.2', 'primary key: id', 'secret santa list', 'the password field is required',
    'token_type: bearer', 'public key fingerprint', 'keyboard layout', 'monkey business', 'pass the test',
    'sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709', 'uuid 123e4567-e89b-12d3-a456-426614174000',
    'duration 01:02:03', 'at 10:30', 'score 4.5/5', 'temperature 21.5°C', 'price $4,111.11', '3.14159265358979',
    'CVE-2024-3094', 'RFC 4180', 'HTTP 429', 'int64 9223372036854775807', 'timeout=30s', 'limit=1000',
]
for text in neg:
    add('none', '-', text)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus.tsv')
with open(out, 'w', encoding='utf-8') as f:
    f.write('# class\tvalue\ttext   (generated by make_corpus.py; \\n = newline, \\t = tab)\n')
    for cls, value, text in rows:
        v = value.replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t')
        f.write(f'{cls}\t{v}\t{text}\n')
counts = {}
for cls, _, _ in rows:
    counts[cls] = counts.get(cls, 0) + 1
print(counts)
