// aimd's parts on their own: the delivery meter and the options' checks and defaults.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdOptions } from '../src/policies/aimd.js';
import { aimdSettings } from '../src/policies/aimd-options.js';
import { AimdRound, RecentCount } from '../src/policies/aimd-round.js';
import { DeliveryMeter } from '../src/policies/delivery-meter.js';

describe('DeliveryMeter', () => {
  it('measures successes a second since the rate last changed, between the first and the last', () => {
    const meter = new DeliveryMeter(1000);
    expect(meter.atRate()).toBeUndefined();
    meter.success(0);
    expect(meter.atRate()).toBeUndefined(); // one success is no rate
    meter.success(100);
    meter.success(200);
    expect(meter.atRate()).toBe(10);
    meter.rateChanged();
    meter.success(300);
    expect(meter.atRate()).toBeUndefined();
    meter.success(350);
    expect(meter.atRate()).toBe(20);
  });

  it('needs the successes to span a twentieth of the increase interval', () => {
    const meter = new DeliveryMeter(1000);
    meter.success(0);
    meter.success(49);
    expect(meter.atRate()).toBeUndefined();
    meter.success(50);
    expect(meter.atRate()).toBe(40);
    const never = new DeliveryMeter(Infinity);
    never.success(0);
    never.success(10_000);
    expect(never.atRate()).toBeUndefined();
  });

  it('measures successes a second since the last backoff, up to now', () => {
    const meter = new DeliveryMeter(1000);
    meter.success(0);
    meter.success(10);
    expect(meter.sinceBackoff(1000)).toBeUndefined(); // no backoff yet
    meter.backedOff(1000);
    meter.success(1100);
    expect(meter.sinceBackoff(1200)).toBeUndefined();
    meter.success(1150);
    expect(meter.sinceBackoff(1500)).toBe(4);
    expect(meter.sinceBackoff(1000)).toBeUndefined(); // no time since
  });

  it('keeps its measures across a change of clock', () => {
    const meter = new DeliveryMeter(1000);
    meter.backedOff(0);
    meter.success(0);
    meter.success(100);
    meter.shift(5000);
    meter.success(5200);
    expect(meter.atRate()).toBe(10);
    expect(meter.sinceBackoff(5300)).toBe(10);
  });
});

describe('aimd options', () => {
  it('normalises as the original does, and applies the defaults', () => {
    expect(aimdSettings('aimd', {}, true)).toEqual({
      initial: 1,
      min: 1,
      max: Infinity,
      increaseIntervalMs: 1000,
      backoffDebounceMs: 500,
      slowStart: true,
      slowStartFactor: 2,
      growth: 'cubic',
      backoffFactor: 0.85,
      backoffFrom: 'estimate',
      growOnlyWhenLimiting: true,
      openWithOnePermit: true,
      clock: undefined,
    });
    expect(aimdSettings('aimd', { initial: 500, min: 200, max: 100, increaseIntervalMs: -1, disableBackoffMerge: true }, false)).toMatchObject({
      initial: 200,
      min: 100,
      max: 200,
      increaseIntervalMs: 1000,
      backoffDebounceMs: 0,
      slowStart: false,
      growOnlyWhenLimiting: false,
      openWithOnePermit: false,
    });
    expect(aimd.classic({ initial: 100, min: 10, max: 200 }).snapshot()).toMatchObject({ rate: 100, min: 10, max: 200, phase: 'additive' });
  });

  it('checks the options of aimd.classic as an object, as aimd does', () => {
    expect(() => aimd.classic(5 as unknown as AimdOptions)).toThrow(new TypeError('aimd.classic: options must be an object such as { initial: 10 }, got 5'));
    expect(() => aimd.classic(null as unknown as AimdOptions)).toThrow('aimd.classic: options must be an object such as { initial: 10 }, got null');
  });
});

describe('RecentCount', () => {
  it('counts the successes of the last span exactly while they are few: one 998 ms ago is in, one 1000 ms ago is out', () => {
    const recent = new RecentCount(1000);
    recent.add(1003);
    recent.add(1500);
    expect(recent.count(2001)).toBe(2); // by 10 ms slots, 1003 fell out with its slot
    expect(recent.count(2003)).toBe(1); // as a sliding log forgets a call exactly a second on
    expect(recent.count(2500)).toBe(0);
  });

  it('counts by slots, to a hundredth of the span, past 64 in it', () => {
    const recent = new RecentCount(1000);
    for (let t = 0; t < 1000; t += 5) recent.add(t);
    expect(recent.count(999)).toBe(200);
    expect(recent.count(1499)).toBe(100);
  });
});

describe('AimdRound', () => {
  it('measures over its length, or to its last success if later, with its paused time in it', () => {
    const round = new AimdRound(0);
    for (let t = 50; t <= 950; t += 100) round.success(t);
    round.pausedMs = 300;
    // the call after the round's second came at 1100: 10 over 1 s, not over 1.1 s less the pause
    expect(round.measured(1100, 1000)).toBe(10);
    round.success(1050);
    expect(round.measured(1100, 1000)).toBeCloseTo(11 / 1.05);
    expect(round.measured(500, 1000)).toBe(22); // never past now
  });
});
