#!/usr/bin/env python3
"""Writes the tiny byte-level BPE fixtures of tests/unit/test_tokenizer.cpp.

Run from this folder: python3 make_fixtures.py. Each vocabulary holds the 256 byte tokens
(id = byte value, spelled with GPT-2's byte-to-unicode alphabet) plus a handful of merges, so
every UTF-8 text encodes and the expected ids are easy to read.
"""
import json
import os


def byte_alphabet():
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, shifted = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


ALPHABET = byte_alphabet()
SPACE, NEWLINE = ALPHABET[0x20], ALPHABET[0x0A]  # "Ġ", "Ċ"

# Ranked merges shared by the GPT-2 style fixtures. "h e" outranks "t h", so "the" is t + he.
MERGES = [
    (SPACE, "t"), ("h", "e"), (SPACE + "t", "he"), (SPACE, "a"), ("n", "d"),
    (SPACE + "a", "nd"), ("i", "n"), (SPACE, "in"), ("e", "r"), ("l", "l"), ("o", "n"),
    (SPACE, "o"), (SPACE + "o", "n"), ("'", "s"), ("a", "a"), (NEWLINE, NEWLINE),
    (SPACE, SPACE), (SPACE * 2, SPACE * 2), (ALPHABET[0xC3], ALPHABET[0xA9]), ("t", "h"),
]


def base_vocab(merges):
    vocab = {ALPHABET[b]: b for b in range(256)}
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    return vocab


def added(token_id, content, special, **flags):
    entry = {"id": token_id, "content": content, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": not special, "special": special}
    entry.update(flags)
    return entry


def byte_level(add_prefix_space=False, use_regex=True):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True,
            "use_regex": use_regex}


def tokenizer_json(vocab, merges, added_tokens, pre_tokenizer, post_processor=None,
                   ignore_merges=False, pairs=False):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added_tokens, "normalizer": None,
        "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
        "decoder": byte_level(True, True),
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None,
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
            "vocab": vocab,
            "merges": [[l, r] for l, r in merges] if pairs else [l + " " + r for l, r in merges],
        },
    }


def write(path, document):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, indent=1)
        out.write("\n")


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def main():
    vocab = base_vocab(MERGES)
    eot = len(vocab)
    gpt2_vocab = dict(vocab, **{"<|endoftext|>": eot})
    gpt2_added = [added(eot, "<|endoftext|>", True)]
    write("tiny_gpt2.json", tokenizer_json(gpt2_vocab, MERGES, gpt2_added, byte_level()))
    write("tiny_gpt2_pairs.json",
          tokenizer_json(gpt2_vocab, MERGES, gpt2_added, byte_level(), pairs=True))

    os.makedirs("tiny_vocab_merges", exist_ok=True)
    write("tiny_vocab_merges/vocab.json", gpt2_vocab)
    with open("tiny_vocab_merges/merges.txt", "w", encoding="utf-8") as out:
        out.write("#version: 0.2\n")
        for left, right in MERGES:
            out.write(left + " " + right + "\n")

    # Llama-3 style: Split with the tiktoken pattern, then ByteLevel without its own regex;
    # ignore_merges lets "Ġworld" (in the vocabulary, not reachable by merges) come out whole.
    llama_merges = MERGES + [(SPACE, "w"), ("o", "r")]
    llama_vocab = base_vocab(llama_merges)
    llama_vocab[SPACE + "world"] = len(llama_vocab)
    bos, eos = len(llama_vocab), len(llama_vocab) + 1
    split = {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated",
             "invert": False}
    template = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [bos],
                                                 "tokens": ["<|begin_of_text|>"]}},
    }
    write("tiny_llama3.json", tokenizer_json(
        llama_vocab, llama_merges,
        [added(bos, "<|begin_of_text|>", True), added(eos, "<|end_of_text|>", True)],
        {"type": "Sequence", "pretokenizers": [split, byte_level(False, False)]},
        post_processor={"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
             "use_regex": True}, template]},
        ignore_merges=True))

    # SmolLM style: digits split one by one before ByteLevel; the merge "1 2" shows the split.
    digit_merges = MERGES + [("1", "2")]
    write("tiny_digits.json", tokenizer_json(
        base_vocab(digit_merges), digit_merges, [],
        {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                byte_level()]}))

    # Added tokens with lstrip / rstrip / single_word, and ByteLevel's add_prefix_space.
    n = len(vocab)
    write("tiny_added.json", tokenizer_json(vocab, MERGES, [
        added(n, "[L]", False, lstrip=True), added(n + 1, "[R]", False, rstrip=True),
        added(n + 2, "dog", False, single_word=True), added(n + 3, "<pad>", True),
        added(n + 4, "<s>", True), added(n + 5, "</s>", True),
    ], byte_level(add_prefix_space=True)))


if __name__ == "__main__":
    main()
