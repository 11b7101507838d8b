"""Documents made from a build: profiles (Bestandsaufnahme) per Handlungsraum."""
