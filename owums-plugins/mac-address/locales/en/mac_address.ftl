# Page strings of the MAC-address method (added to the host's at startup).
mac_address-method = Device registration (MAC address)
mac_address-not-a-method = Registering a device does not verify an account: verify it with another method, then register your devices on your account page.
