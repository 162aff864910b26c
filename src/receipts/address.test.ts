import { describe, expect, it } from 'vitest'
import { isLocalAddress, isLocalHostname } from './address.ts'

describe('isLocalAddress', () => {
  it('names loopback, private, link-local and other non-global IPv4 addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '198.18.0.1',
    ])
      expect(isLocalAddress(ip), ip).toBe(true)
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.255.255', '1.1.1.1', '100.128.0.1', '192.169.0.1'])
      expect(isLocalAddress(ip), ip).toBe(false)
  })

  it('names the IPv6 ones, including IPv4 addresses mapped, compatible, NAT64 and 6to4', () => {
    for (const ip of [
      '::1',
      '::',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      'fe80::1%eth0',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      'fec0::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '[::ffff:10.0.0.1]',
      '::127.0.0.1',
      '64:ff9b::192.168.0.1',
      '2002:c0a8:0101::1',
      '::ffff:169.254.169.254',
    ])
      expect(isLocalAddress(ip), ip).toBe(true)
    for (const ip of ['2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1', '64:ff9b::8.8.8.8'])
      expect(isLocalAddress(ip), ip).toBe(false)
  })

  it('says null for what is no address, and hostnames are judged by their spelling', () => {
    for (const s of ['example.com', '1.2.3', '1.2.3.256', ':::', '1::2::3', 'g::1'])
      expect(isLocalAddress(s), s).toBe(null)
    for (const h of ['localhost', 'LOCALHOST.', 'a.localhost', '127.0.0.1', '[::1]'])
      expect(isLocalHostname(h), h).toBe(true)
    // The URL parser turns odd IPv4 spellings into dotted quads before anyone sees them.
    for (const u of ['http://2130706433/', 'http://0x7f.1/', 'http://127.1/'])
      expect(isLocalHostname(new URL(u).hostname), u).toBe(true)
    expect(isLocalHostname('example.com')).toBe(false)
  })
})
