"""Citizens: identity (CPR), address, phones, needs, access notes and contact persons."""
