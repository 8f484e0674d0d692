"""Value types more than one feature takes in: plates, VINs, phones, e-mail addresses,
beats. One definition each, so that a plate is read the same way by a citation, a report's
vehicle, an impound and a permit."""

from __future__ import annotations

from csoapi.core.schemas import Token, Words

Plate = Token(r"^[A-Za-z0-9]+$", max_length=8, case="upper")
PlateState = Token(r"^[A-Za-z]{2}$", min_length=2, max_length=2, case="upper")
Vin = Token(r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$", min_length=17, max_length=17, case="upper")
VehicleWord = Words(32)
Phone = Token(r"^[0-9+().x\-]([0-9+()\-. x]*[0-9+().x\-])?$", min_length=3, max_length=32)
Beat = Words(16)
Email = Token(r"^[!-?A-~]+@[!-?A-~]+$", min_length=3, max_length=200)
