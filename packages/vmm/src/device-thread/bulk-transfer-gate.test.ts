import { describe, expect, it } from 'vitest';
import { BULK_TRANSFER_BYTES, BulkTransferGate } from './bulk-transfer-gate.js';

describe('BulkTransferGate', () => {
  it('lets the thread poll after small requests and not after a bulk transfer, counted from its last sleep', () => {
    const counters = { readBytes: 0, writtenBytes: 0, requests: 0 };
    const gate = new BulkTransferGate(counters);
    counters.readBytes += 4096;
    counters.requests += 1;
    expect(gate.bulk).toBe(false);
    counters.writtenBytes += BULK_TRANSFER_BYTES - 4096;
    expect(gate.bulk).toBe(true);
    gate.idle();
    expect(gate.bulk).toBe(false);
    counters.readBytes += BULK_TRANSFER_BYTES - 1;
    expect(gate.bulk).toBe(false);
  });

  it('counts a NIC by its frames and a device without byte counters as small', () => {
    const nic = { txBytes: 0, rxBytes: 0 };
    const gate = new BulkTransferGate(nic);
    nic.rxBytes += 200 * 1024;
    nic.txBytes += 100 * 1024;
    expect(gate.bulk).toBe(true);
    expect(new BulkTransferGate({ notifications: 5 }).bulk).toBe(false);
    expect(new BulkTransferGate(undefined).bulk).toBe(false);
  });
});
