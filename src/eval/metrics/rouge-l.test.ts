import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lcsLength, rougeL, rougeLMetric, rougeTokens } from './rouge-l.js';

const close = (actual: number | null, expected: number, digits = 4) => {
  assert.ok(actual !== null && Math.abs(actual - expected) < 10 ** -digits, `${actual} is not ${expected}`);
};
const score = (target: string, prediction: string) => rougeL(rougeTokens(target), rougeTokens(prediction));

describe('ROUGE-L (rouge-score rougeL)', () => {
  test('gives the rouge-score README example: precision 0.625, recall 0.5556, F 0.5882', () => {
    const result = score('The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.');
    assert.equal(result.precision, 0.625);
    close(result.recall, 0.5556);
    close(result.fmeasure, 0.5882);
  });

  test('agrees with ROUGE-1.5.5 on the first lines of rouge-score testdata (rouge_scorer_test.py)', () => {
    const target0 =
      "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n";
    const prediction0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n";
    const target1 =
      "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n";
    const prediction1 =
      "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n";
    const first = score(target0, prediction0);
    close(first.recall, 0.40741, 5);
    close(first.precision, 0.6875, 5);
    close(first.fmeasure, 0.51163, 5);
    const second = score(target1, prediction1);
    close(second.recall, 0.40476, 5);
    close(second.precision, 0.65385, 5);
    close(second.fmeasure, 0.5, 5);
  });

  test('rewards in-order but not necessarily consecutive matches (rouge_scorer_test.py)', () => {
    assert.deepEqual(score('testing one two', 'testing one'), { precision: 1, recall: 2 / 3, fmeasure: 0.8 });
    assert.deepEqual(score('testing one two', 'testing two'), { precision: 1, recall: 2 / 3, fmeasure: 0.8 });
  });

  test('scores 0 when either side has no tokens, as rouge-score does, even when both are empty', () => {
    const zero = { precision: 0, recall: 0, fmeasure: 0 };
    assert.deepEqual(score('testing one two', ''), zero);
    assert.deepEqual(score('', 'w1'), zero);
    assert.deepEqual(score('w1 w2', '/'), zero);
    assert.deepEqual(score('', ''), zero);
  });
});

describe('rouge-score tokens', () => {
  test('are lowercase runs of ASCII letters and digits', () => {
    assert.deepEqual(rougeTokens("The log. It's 3.14-ish!"), ['the', 'log', 'it', 's', '3', '14', 'ish']);
  });

  test('drop letters outside ASCII, as rouge-score does', () => {
    assert.deepEqual(rougeTokens('Café Ünïcode'), ['caf', 'n', 'code']);
    assert.deepEqual(rougeTokens('東京タワー'), []);
  });
});

describe('longest common subsequence', () => {
  test('has the length of rouge-score testLcsTable and textbook cases', () => {
    const ids = (xs: number[]) => xs.map(String);
    assert.equal(lcsLength(ids([1, 2, 3, 4, 5]), ids([2, 5, 3, 4])), 3);
    assert.equal(lcsLength(ids([1, 2, 3, 4, 5]), ids([8, 9])), 0);
    assert.equal(lcsLength([...'ABCBDAB'], [...'BDCABA']), 4);
    assert.equal(lcsLength([...'BDCABA'], [...'ABCBDAB']), 4);
    assert.equal(lcsLength([], ['a']), 0);
    assert.equal(lcsLength(['a', 'a', 'a'], ['a', 'a']), 2);
  });

  test('agrees with the full dynamic programme on random sequences', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 12) }, () => String(Math.floor(random() * 4)));
      const b = Array.from({ length: Math.floor(random() * 12) }, () => String(Math.floor(random() * 4)));
      assert.equal(lcsLength(a, b), fullTable(a, b), `${a.join('')} / ${b.join('')}`);
    }
  });

  test('handles long texts in linear memory', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `w${i % 50}`);
    const b = Array.from({ length: 3_000 }, (_, i) => `w${(i * 7) % 50}`);
    assert.ok(lcsLength(a, b) > 0);
  });
});

function fullTable(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
    }
  }
  return t[a.length]![b.length]!;
}

describe('rouge_l metric', () => {
  const metric = rougeLMetric.prepare({});

  test('is the F-measure with the answer as prediction and the reference as target', () => {
    close(metric('The quick brown dog jumps on the log.', 'The quick brown fox jumps over the lazy dog'), 0.5882);
    assert.equal(metric('Testing one', 'testing one two'), 0.8);
  });

  test('takes the best reference of an array reference (rouge-score score_multi)', () => {
    assert.equal(metric('testing one', ['something else', 'testing one two', 'testing']), 0.8);
  });

  test('scores only the first max_tokens tokens of each side', () => {
    const capped = rougeLMetric.prepare({ max_tokens: '2' });
    // "a b" vs "a b": the tokens after the cap do not count.
    assert.equal(capped('a b c d', 'a b x y'), 1);
    assert.throws(() => rougeLMetric.prepare({ max_tokens: '0' }), /`max_tokens` of metric `rouge_l`/);
  });

  test('cannot score a missing answer or reference', () => {
    assert.equal(metric(null, 'x'), null);
    assert.equal(metric('x', null), null);
  });
});
