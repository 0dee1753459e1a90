import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bleuFromStatistics, bleuMetric, ngramStatistics, sentenceBleu } from './bleu.js';

const words = (text: string) => text.split(' ');
const close = (actual: number | null, expected: number, digits = 4) => {
  assert.ok(actual !== null && Math.abs(actual - expected) < 10 ** -digits, `${actual} is not ${expected}`);
};

// The sentences of NLTK's nltk/translate/bleu_score.py docstrings, from Papineni et al. (2002), Example 1.
const hypothesis1 = words(
  'It is a guide to action which ensures that the military always obeys the commands of the party',
);
const hypothesis2 = words('It is to insure the troops forever hearing the activity guidebook that party direct');
const reference1 = words('It is a guide to action that ensures that the military will forever heed Party commands');
const reference2 = words(
  'It is the guiding principle which guarantees the military forces always being under the command of the Party',
);
const reference3 = words('It is the practical guide for the army always to heed the directions of the party');
const references = [reference1, reference2, reference3];

const precision = (hypothesis: string[], refs: string[][], n: number) => {
  const statistics = ngramStatistics(hypothesis, refs, n);
  return statistics.matches[n - 1]! / statistics.totals[n - 1]!;
};

describe('modified n-gram precision (Papineni et al. 2002, §2.1)', () => {
  test('clips a repeated word to its largest count in any one reference: "the the the …" is 2/7', () => {
    assert.equal(
      precision(
        words('the the the the the the the'),
        [words('the cat is on the mat'), words('there is a cat on the mat')],
        1,
      ),
      2 / 7,
    );
  });

  test('gives the paper’s unigram and bigram precisions for its two candidates', () => {
    assert.equal(precision(hypothesis1, references, 1), 17 / 18);
    assert.equal(precision(hypothesis2, references, 1), 8 / 14);
    assert.equal(precision(hypothesis1, references, 2), 10 / 17);
    assert.equal(precision(hypothesis2, references, 2), 1 / 13);
  });

  test('exhausts a reference word once matched (NLTK docstring: "of the" scores 1 for n = 1 and 2)', () => {
    assert.equal(precision(words('of the'), references, 1), 1);
    assert.equal(precision(words('of the'), references, 2), 1);
  });

  test('counts matches and totals per order as sacreBLEU does (test_bleu.py, test_statistics)', () => {
    assert.deepEqual(
      ngramStatistics(words('am I am a character sequence'), [words('I am a symbol string sequence a a')], 4),
      {
        matches: [4, 2, 1, 0],
        totals: [6, 5, 4, 3],
        hypothesisLength: 6,
        referenceLength: 8,
      },
    );
  });

  test('treats tokens as opaque: spaces and commas inside tokens never join n-grams by accident', () => {
    assert.deepEqual(ngramStatistics(['a b', 'c'], [['a', 'b c']], 2).matches, [0, 0]);
    assert.deepEqual(ngramStatistics(['1,2', '3'], [['1', '2,3']], 2).matches, [0, 0]);
  });
});

describe('brevity penalty (NLTK brevity_penalty docstring, mteval-v13a.pl)', () => {
  // All-"a" sentences have every precision 1, so BLEU is the brevity penalty itself.
  const a = (n: number) => new Array<string>(n).fill('a');
  const bp = (hyp: number, refs: number[]) => sentenceBleu(a(hyp), refs.map(a), { smoothing: 'none' });

  test('is 1 when the hypothesis is at least as long as the closest reference', () => {
    assert.equal(bp(12, [12, 15, 17]), 1);
    assert.equal(bp(7, [11, 8, 6, 7]), 1);
  });

  test('is exp(1 − r/c) when the hypothesis is shorter', () => {
    assert.equal(bp(12, [28, 28]), 0.2635971381157267);
    close(bp(12, [13, 2]), 0.92);
    close(bp(7, [11, 8]), 0.8668);
  });

  test('uses the shorter reference when two are equally close', () => {
    assert.equal(bp(12, [13, 11]), 1);
    assert.equal(bp(12, [11, 13]), 1);
  });
});

describe('sentence BLEU', () => {
  test("reproduces NLTK's sentence_bleu docstring values", () => {
    close(sentenceBleu(hypothesis1, references, { smoothing: 'none' }), 0.5045);
    close(sentenceBleu(hypothesis1, [reference1], { smoothing: 'none' }), 0.4118);
    close(sentenceBleu(hypothesis1, references, { smoothing: 'none', maxOrder: 5 }), 0.392);
    // No 3- or 4-gram in common: 0 without smoothing, 0.0370… with Chen & Cherry's method 1 (NLTK `method1`).
    assert.equal(sentenceBleu(hypothesis2, references, { smoothing: 'none' }), 0);
    close(sentenceBleu(hypothesis2, references, { smoothing: 'floor' }), 0.037);
  });

  test('is 1 for a hypothesis equal to a reference and 0 with no word in common', () => {
    assert.equal(sentenceBleu(reference2, references), 1);
    assert.equal(sentenceBleu(words('this is a cat'), [words('okay thanks')]), 0);
  });

  test('scores an empty hypothesis 0', () => {
    assert.equal(sentenceBleu([], [reference1]), 0);
    assert.equal(sentenceBleu([], [[]]), 0);
  });

  test('averages over the orders a short hypothesis has, with effective order (sacreBLEU test_effective_order)', () => {
    const floor = { smoothing: 'floor', smoothValue: 0.01 } as const;
    assert.equal(sentenceBleu(['test'], [['a', 'test']], floor), 0.36787944117144233);
    assert.equal(sentenceBleu(['a', 'test'], [['a', 'test']], floor), 1);
    close(sentenceBleu(words('a little test'), [words('a test')], floor), 0.03218297948685433, 12);
    assert.equal(sentenceBleu(words('a test'), [words('a test')], { effectiveOrder: false }), 0);
  });

  test('computes BLEU from statistics as sacreBLEU compute_bleu does (test_bleu.py, test_scoring)', () => {
    const statistics = { matches: [9, 7, 5, 3], totals: [10, 8, 6, 4], hypothesisLength: 11, referenceLength: 11 };
    close(bleuFromStatistics(statistics), 0.8375922397, 9);
  });

  test('smooths orders without matches by 1/2^k (exp, Chen & Cherry method 3): each missing order halves again', () => {
    const statistics = { matches: [2, 1, 0, 0], totals: [4, 3, 2, 1], hypothesisLength: 4, referenceLength: 4 };
    const expected = Math.exp((Math.log(2 / 4) + Math.log(1 / 3) + Math.log(1 / (2 * 2)) + Math.log(1 / (4 * 1))) / 4);
    close(bleuFromStatistics(statistics), expected, 12);
  });

  test('rejects an order below 1 and a hypothesis without references', () => {
    assert.throws(() => sentenceBleu(['a'], [['a']], { maxOrder: 0 }), RangeError);
    assert.throws(() => sentenceBleu(['a'], []), RangeError);
  });
});

describe('bleu metric', () => {
  // sacreBLEU test_sentence_bleu.py (issue #98): a Romanian pair with a t-cedilla in one and t-comma in the other.
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

  test("reproduces sacreBLEU's sentence_bleu with each smoothing and tokenizer", () => {
    close(bleuMetric.prepare({})(SYS, REF), 0.08493);
    assert.equal(bleuMetric.prepare({ smoothing: 'none' })(SYS, REF), 0);
    close(bleuMetric.prepare({ smoothing: 'floor' })(SYS, REF), 0.0451688);
    close(bleuMetric.prepare({ smoothing: 'add-k' })(SYS, REF), 0.14882);
    close(bleuMetric.prepare({ tokenize: 'none' })(SYS, REF), 0.07347);
  });

  test('scores 0 with no word in common whatever the smoothing (sacreBLEU issue #141)', () => {
    for (const smoothing of ['exp', 'floor', 'add-k', 'none']) {
      assert.equal(bleuMetric.prepare({ smoothing })('this is a cat', 'okay thanks'), 0);
    }
  });

  test('is case-sensitive unless lowercase is set', () => {
    assert.equal(bleuMetric.prepare({})('THE CAT SAT ON THE MAT', 'the cat sat on the mat'), 0);
    assert.equal(bleuMetric.prepare({ lowercase: 'true' })('THE CAT SAT ON THE MAT', 'the cat sat on the mat'), 1);
  });

  test('uses an array reference as several references together', () => {
    const score = bleuMetric.prepare({ smoothing: 'none' });
    close(
      score(
        hypothesis1.join(' '),
        references.map((r) => r.join(' ')),
      ),
      0.5045,
    );
  });

  test('takes the order as an option', () => {
    const score = bleuMetric.prepare({ order: '2' });
    assert.equal(score('the cat', 'the cat'), 1);
    assert.throws(() => bleuMetric.prepare({ order: '0' }), /`order` of metric `bleu`/);
    assert.throws(() => bleuMetric.prepare({ smoothing: 'laplace' }), /`smoothing` of metric `bleu`/);
    assert.throws(() => bleuMetric.prepare({ weights: '1' }), /Unknown option `weights`/);
  });

  test('scores empty texts 0 and cannot score a missing answer or reference', () => {
    const score = bleuMetric.prepare({});
    assert.equal(score('', 'the cat'), 0);
    assert.equal(score('the cat', ''), 0);
    assert.equal(score('', ''), 0);
    assert.equal(score(null, 'the cat'), null);
    assert.equal(score('the cat', null), null);
  });
});
