// aimd's parts on their own: the delivery meter and the options' checks and defaults.
import { describe, expect, it } from 'vitest';
import { aimd } from '../src/policies/aimd.js';
import type { AimdOptions } from '../src/policies/aimd.js';
import { aimdSettings } from '../src/policies/aimd-options.js';
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
