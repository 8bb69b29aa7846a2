#!/bin/sh
# How tests/data/sample/signed.eml was made (run once; the outputs are committed and the secret
# key is thrown away with the temporary GNUPGHOME). Re-running makes a new key and message.
# The Received and Authentication-Results headers are written by hand in the formats Postfix and
# OpenDKIM/OpenDMARC produce, with documentation addresses (RFC 5737, RFC 2606).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mk="python3 $here/../../integration/mkmime.py"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
work=$(mktemp -d)
trap 'gpgconf --kill all; rm -rf "$GNUPGHOME" "$work"' EXIT

gpg --batch --faked-system-time 20260302T091500 --passphrase '' --quick-gen-key 'Ada Lovelace <ada@example.org>' ed25519 sign never
fpr=$(gpg --with-colons --list-keys ada@example.org | awk -F: '$1 == "fpr" { print $10; exit }')
gpg --armor --export "$fpr" >"$here/sample-signer.asc"
echo "$fpr:6:" >"$here/sample-signer.trust"

$mk text "Hello Bob,

the minutes of Tuesday's meeting are below. The budget line for the
analytical engine stays as agreed; I will send the revised tables on Friday.

Ada" >"$work/body"
$mk pgp-sign "$work/body" -- gpg --batch --faked-system-time 20261125T135937 --local-user "$fpr" --digest-algo SHA256 \
  --detach-sign --armor >"$work/signed"
$mk message \
  --header 'Return-Path: <ada@example.org>' \
  --header 'Delivered-To: bob@example.net' \
  --header 'Authentication-Results: mail.example.net;
	dkim=pass (2048-bit key; unprotected) header.d=example.org header.i=@example.org header.s=s2026 header.b=kJ0bA3xT;
	spf=pass (mail.example.net: domain of ada@example.org designates 198.51.100.7 as permitted sender) smtp.mailfrom=ada@example.org;
	dmarc=pass (p=reject dis=none) header.from=example.org' \
  --header 'Received: from mx1.example.net (mx1.example.net [192.0.2.25])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
	 key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
	(No client certificate requested)
	by mail.example.net (Postfix) with ESMTPS id 4QxL1k2Zz3z9sTt
	for <bob@example.net>; Wed, 25 Nov 2026 13:59:42 +0000 (UTC)' \
  --header 'Received: from smtp.example.org (smtp.example.org [198.51.100.7])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
	 key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256)
	(No client certificate requested)
	by mx1.example.net (Postfix) with ESMTPS id 4QxL1k1Yy2z9sTs
	for <bob@example.net>; Wed, 25 Nov 2026 13:59:41 +0000 (UTC)' \
  --header 'Received: from ada-laptop (dsl-203-0-113-45.example.org [203.0.113.45])
	(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits))
	(Authenticated sender: ada@example.org)
	by smtp.example.org (Postfix) with ESMTPSA id 1A2B3C4D5E
	for <bob@example.net>; Wed, 25 Nov 2026 13:59:40 +0000 (UTC)' \
  --header 'From: Ada Lovelace <ada@example.org>' \
  --header 'To: Bob <bob@example.net>' \
  --header 'Subject: Minutes of Tuesday'"'"'s meeting' \
  --header 'Date: Wed, 25 Nov 2026 13:59:38 +0000' \
  --header 'Message-ID: <minutes-20261125@example.org>' \
  "$work/signed" >"$here/signed.eml"
echo "sample written: $here/signed.eml (signer $fpr)"
