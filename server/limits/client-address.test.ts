import { expect } from 'chai';
import { clientKey } from './client-address.ts';

describe('clientKey', () => {
  it('is one key for every address of an IPv6 /64, however it is written', () => {
    const keys = ['2001:db8:1:2::1', '2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002::', '[2001:db8:1:2::9]', 'fe80::1%eth0', 'fe80::2'];
    expect(keys.map(clientKey)).to.deep.equal([...Array(4).fill('2001:db8:1:2::/64'), 'fe80:0:0:0::/64', 'fe80:0:0:0::/64']);
  });

  it('tells the /64s apart, also when the address is compressed into its first groups', () => {
    expect(clientKey('2001:db8:1:3::1')).to.not.equal(clientKey('2001:db8:1:2::1'));
    expect(clientKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(clientKey('::1')).to.equal('0:0:0:0::/64');
    expect(clientKey('1:2:3:4:5:6:1.2.3.4')).to.equal('1:2:3:4::/64');
  });

  it('counts an IPv4-mapped address as its IPv4 address and leaves IPv4 and anything else as it is', () => {
    const spellings = ['::ffff:203.0.113.5', '::FFFF:203.0.113.5', '::ffff:cb00:7105', '0:0:0:0:0:ffff:cb00:7105', '203.0.113.5'];
    expect(spellings.map(clientKey)).to.deep.equal(Array(5).fill('203.0.113.5'));
    expect([clientKey(''), clientKey('unknown')]).to.deep.equal(['', 'unknown']);
  });
});
