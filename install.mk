# make install: the programs, libmplm-core (static and shared), its public
# headers, a pkg-config file (mplm-core.pc) and a man page per program,
# under $(DESTDIR)$(PREFIX). Included from the top Makefile.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
# mplm-exp finds kvmlite and the guests, and kvmlite its guests, where
# they sit in the build tree (kvmlite/kvmlite, guests/ next to or above
# the program). They keep that layout here, with links in BINDIR.
PKGLIBEXECDIR ?= $(PREFIX)/libexec/mplm-lab
INSTALL    ?= install

# One line of description per program for its man page (help2man -n).
MAN_DESC_mplm-sim      := replay a dirty-page trace through a simulated live migration
MAN_DESC_mplm-workload := generate dirty-page traces and print their statistics
MAN_DESC_mplm-exp      := run live-migration experiments, store and report them
MAN_DESC_kvmlite       := a minimal KVM VMM that migrates its guests live
MAN_DESC_mplm-lab-web  := the mplm-lab teaching lab in a browser
MAN_PAGES := $(patsubst %,$(B)/man/%.1,$(notdir $(PROGRAMS)))

# From each program's --help. The version from MPLM_VERSION, since
# `kvmlite --version` needs a command; usage errors may go to stderr.
define man_page
$(B)/man/$(notdir $(1)).1: $(1)
	@mkdir -p $$(dir $$@)
	help2man --no-info --no-discard-stderr --version-string=$$(CORE_VERSION) \
		--name='$$(MAN_DESC_$(notdir $(1)))' --output=$$@ $(1)
endef
$(foreach p,$(PROGRAMS),$(eval $(call man_page,$(p))))

$(B)/mplm-core.pc: mplm-core/mplm-core.pc.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(CORE_VERSION)|' \
		$< >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# A link in BINDIR to a program kept in PKGLIBEXECDIR, relative so that
# the installed tree can move.
link_to_libexec = ln -sf "$$(realpath -m --relative-to='$(BINDIR)' '$(PKGLIBEXECDIR)')/$(1)" \
	'$(DESTDIR)$(BINDIR)/$(notdir $(1))'

install: programs $(CORE_LIB) $(CORE_SO) $(B)/mplm-core.pc $(MAN_PAGES)
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(LIBDIR)/pkgconfig' \
		'$(DESTDIR)$(INCLUDEDIR)/mplm-core' '$(DESTDIR)$(MANDIR)/man1' \
		'$(DESTDIR)$(PKGLIBEXECDIR)'
	$(INSTALL) -m 755 $(B)/mplm-sim $(B)/mplm-workload $(B)/mplm-lab-web '$(DESTDIR)$(BINDIR)'
	$(INSTALL) -m 755 $(B)/mplm-exp '$(DESTDIR)$(PKGLIBEXECDIR)'
	$(call link_to_libexec,mplm-exp)
ifeq ($(KVMLITE),1)
	$(INSTALL) -d '$(DESTDIR)$(PKGLIBEXECDIR)/kvmlite' '$(DESTDIR)$(PKGLIBEXECDIR)/guests'
	$(INSTALL) -m 755 $(KL_BIN) '$(DESTDIR)$(PKGLIBEXECDIR)/kvmlite'
	$(INSTALL) -m 644 $(GUEST_BINS) '$(DESTDIR)$(PKGLIBEXECDIR)/guests'
	$(call link_to_libexec,kvmlite/kvmlite)
endif
	$(INSTALL) -m 644 $(CORE_LIB) '$(DESTDIR)$(LIBDIR)'
	$(INSTALL) -m 755 $(CORE_SO) '$(DESTDIR)$(LIBDIR)'
	ln -sf $(notdir $(CORE_SO)) '$(DESTDIR)$(LIBDIR)/$(CORE_SONAME)'
	ln -sf $(CORE_SONAME) '$(DESTDIR)$(LIBDIR)/libmplm-core.so'
	$(INSTALL) -m 644 $(MPLM_CORE_HEADERS) '$(DESTDIR)$(INCLUDEDIR)/mplm-core'
	$(INSTALL) -m 644 $(B)/mplm-core.pc '$(DESTDIR)$(LIBDIR)/pkgconfig'
	$(INSTALL) -m 644 $(MAN_PAGES) '$(DESTDIR)$(MANDIR)/man1'

.PHONY: install
