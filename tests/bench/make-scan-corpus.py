#!/usr/bin/env python3
"""Writes a large generated mail corpus for bench-scan.sh: make-scan-corpus.py OUT MEGABYTES [dense]

The text imitates business mail in five languages: sentences with dates, times, prices, order
and invoice numbers, phone numbers and addresses, and about one real identifier (SSN, card,
IBAN, personnummer...) per 8 KiB, so the scanner does real work on candidates. OUT is plain
text; "dense" puts numbers on most lines (a worst case); OUT.eml wraps the same text as one text/plain part of a message."""
import random
import sys

random.seed(20261125)
WORDS = {
    "en": "the meeting invoice please attached order shipping team project report budget review "
          "customer account update schedule thanks regards quarter deadline contract".split(),
    "fr": "la réunion facture veuillez ci-joint commande livraison équipe projet rapport budget "
          "client compte mise à jour calendrier merci cordialement trimestre".split(),
    "sv": "mötet fakturan bifogad beställning leverans teamet projektet rapporten budget kunden "
          "kontot uppdatering schema tack hälsningar kvartal avtal".split(),
    "de": "die Besprechung Rechnung bitte anbei Bestellung Lieferung Team Projekt Bericht Budget "
          "Kunde Konto Aktualisierung Termin danke Grüße Quartal Vertrag".split(),
    "zh": "会议 发票 请 附件 订单 发货 团队 项目 报告 预算 客户 更新 日程 谢谢 季度 合同".split(),
}
IDS = ["SSN 536-22-5232", "card 4111 1111 1111 1111", "IBAN FR76 3000 6000 0112 3456 7890 189",
       "personnummer 811218-9876", "身份证 11010519491231002X", "Steuer-ID 86 095 742 719",
       "routing number 011000015", "NI number AB 12 34 56 C", "DOB 07/19/1988"]


def noise():
    r = random.random()
    if r < 0.2:
        return "%02d/%02d/20%02d" % (random.randint(1, 28), random.randint(1, 12), random.randint(10, 30))
    if r < 0.35:
        return "%d:%02d" % (random.randint(0, 23), random.randint(0, 59))
    if r < 0.5:
        return "$%d.%02d" % (random.randint(1, 99999), random.randint(0, 99))
    if r < 0.65:
        return "order %d" % random.randint(10 ** 7, 10 ** 12)
    if r < 0.75:
        return "+46 70 %03d %02d %02d" % (random.randint(0, 999), random.randint(0, 99), random.randint(0, 99))
    if r < 0.85:
        return "%d" % random.randint(1, 500)
    return "room %s%d" % (random.choice("ABCDEF"), random.randint(1, 400))


DENSE = False


def line():
    lang = random.choice(list(WORDS))
    words = [random.choice(WORDS[lang]) for _ in range(random.randint(6, 14))]
    sep = "" if lang == "zh" else " "
    # mail: a number every two or three lines; dense: one or two on most lines
    count = random.randint(0, 2) if DENSE else (1 if random.random() < 0.4 else 0)
    for _ in range(count):
        words.insert(random.randrange(len(words)), noise())
    return sep.join(words) + ("。" if lang == "zh" else ".")


def main():
    global DENSE
    out, megabytes = sys.argv[1], int(sys.argv[2])
    DENSE = len(sys.argv) > 3 and sys.argv[3] == "dense"
    block = []
    size = 0
    while size < 4 * 1024 * 1024:  # a 4 MiB block of distinct lines, then repeated
        text = line()
        if random.random() < 0.01:
            text += " " + random.choice(IDS) + "."
        block.append(text)
        size += len(text.encode()) + 1
    data = ("\n".join(block) + "\n").encode()
    with open(out, "wb") as f:
        for _ in range(max(1, megabytes * 1024 * 1024 // len(data))):
            f.write(data)
    with open(out + ".eml", "wb") as f:
        f.write(b"From: bench@example.org\nTo: bench@example.org\nSubject: bench\n"
                b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                b"Content-Transfer-Encoding: 8bit\n\n")
        with open(out, "rb") as src:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)


if __name__ == "__main__":
    main()
