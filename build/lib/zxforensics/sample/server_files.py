"""Contents of the sample's customizations archives: `{zimbraHome}/conf/` and `postfix/conf/` files.

Excerpts in the shape of a Zimbra 8 server's files; `files_on(day)` gives every file as it was
on snapshot day `day` (0 = 22/02/2014 ... 6 = 28/02/2014), with the known edits of server.py's
schedule applied. One file is Latin-1 (not UTF-8), one binary, as a real conf/ holds.
"""

from __future__ import annotations

import random

# Snapshot days on which files change (indexes into server.DAYS).
KEYSTORE_RENEWED = 1  # 23/02: certificate renewal, a binary change
MAIN_CF_EDITED = 2  # 24/02: message_size_limit raised with zimbraMtaMaxMessageSize
FRENCH_MSGS_EDITED = 3  # 25/02: a Latin-1 message file edited
REJECT_SENDER_ADDED = 4  # 26/02: a new postfix map
HEAP_RAISED = 5  # 27/02: localconfig mailboxd_java_heap_size
SUBMISSION_ENABLED = 6  # 28/02: master.cf submission service enabled

LOCALCONFIG_KEYS = [
    ("av_notify_domain", "test.domain.com"),
    ("ldap_host", "test.domain.com"),
    ("ldap_is_master", "true"),
    ("ldap_master_url", "ldap://test.domain.com:389"),
    ("ldap_port", "389"),
    ("ldap_url", "ldap://test.domain.com:389"),
    ("mailboxd_directory", "/opt/zimbra/mailboxd"),
    ("mailboxd_java_heap_size", "{heap}"),
    ("mailboxd_java_options", "-server -Djava.awt.headless=true -XX:+UseConcMarkSweepGC -XX:PermSize=128m"),
    ("mailboxd_server", "jetty"),
    ("mysql_bind_address", "127.0.0.1"),
    ("smtp_destination", "admin@example.com"),
    ("ssl_allow_untrusted_certs", "false"),
    ("zimbra_home", "/opt/zimbra"),
    ("zimbra_require_interprocess_security", "1"),
    ("zimbra_server_hostname", "test.domain.com"),
    ("zimbra_uid", "498"),
    ("zimbra_user", "zimbra"),
    ("zimbra_zmprov_default_to_ldap", "false"),
]

ZMCONFIGD_CF = """\
SECTION amavis DEPENDS mta
\tREWRITE conf/amavisd.conf.in conf/amavisd.conf
\tREWRITE conf/salocal.cf.in conf/spamassassin/salocal.cf
\tRESTART mta
SECTION antivirus DEPENDS amavis
\tREWRITE conf/clamd.conf.in conf/clamd.conf
\tREWRITE conf/freshclam.conf.in conf/freshclam.conf
\tRESTART antivirus mta
SECTION mta DEPENDS amavis
\tREWRITE conf/postfix_header_checks.in conf/postfix_header_checks
\tPOSTCONF myhostname\tLOCAL zimbra_server_hostname
\tPOSTCONF message_size_limit\tVAR zimbraMtaMaxMessageSize
\tPOSTCONF mynetworks\tVAR zimbraMtaMyNetworks
\tPOSTCONF smtpd_tls_security_level\tVAR zimbraMtaTlsSecurityLevel
\tPOSTCONF relayhost\tVAR zimbraMtaRelayHost
\tRESTART mta
SECTION proxy
\tREWRITE conf/nginx/templates/nginx.conf.main.template conf/nginx/includes/nginx.conf.main
\tRESTART proxy
"""

LOG4J_PROPERTIES = """\
# Mailbox server logging (conf/log4j.properties)
log4j.threshold=OFF
log4j.rootLogger=INFO,LOGFILE
log4j.appender.LOGFILE=com.zimbra.common.util.FileAppender
log4j.appender.LOGFILE.File=/opt/zimbra/log/mailbox.log
log4j.appender.LOGFILE.layout=com.zimbra.common.util.ZimbraPatternLayout
log4j.appender.LOGFILE.layout.ConversionPattern=%d %-5p [%t] [%z] %c{1} - %m%n
log4j.logger.zimbra.backup=INFO
log4j.logger.zimbra.redolog=INFO
"""

POSTFIX_HEADER_CHECKS_IN = """\
# header_checks of the Zimbra MTA (rewritten by zmconfigd into conf/postfix_header_checks)
%%uncomment VAR:zimbraMtaBlockedExtensionWarnRecipient%%/name=.*\\.(%%list VAR:zimbraMtaBlockedExtension |%%)/ REJECT
/^Subject:.*viagra/ DISCARD
"""

SALOCAL_CF_IN = """\
# SpamAssassin local rules (conf/salocal.cf.in), rewritten by zmconfigd
trusted_networks %%zimbraMtaMyNetworks%%
required_score %%zimbraSpamKillPercent%%
score URIBL_BLACK 3.0
score RCVD_IN_PBL 2.5
"""

MAIN_CF = """\
# Postfix main.cf of the Zimbra MTA, maintained by zmconfigd (zmprov/zmlocalconfig, not by hand)
alias_maps = hash:/etc/aliases
broken_sasl_auth_clients = yes
command_directory = /opt/zimbra/postfix/sbin
content_filter = smtp-amavis:[127.0.0.1]:10024
daemon_directory = /opt/zimbra/postfix/libexec
disable_dns_lookups = no
header_checks = pcre:/opt/zimbra/conf/postfix_header_checks
mailbox_size_limit = 0
message_size_limit = {size}
mydestination = localhost
myhostname = test.domain.com
mynetworks = 127.0.0.0/8 192.168.10.0/24 [::1]/128
relayhost =
smtpd_helo_required = yes
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = /opt/zimbra/conf/smtpd.crt
smtpd_tls_key_file = /opt/zimbra/conf/smtpd.key
smtpd_tls_security_level = may
virtual_alias_domains = proxy:ldap:/opt/zimbra/conf/ldap-vad.cf
virtual_alias_maps = proxy:ldap:/opt/zimbra/conf/ldap-vam.cf
virtual_mailbox_domains = proxy:ldap:/opt/zimbra/conf/ldap-vmd.cf
virtual_mailbox_maps = proxy:ldap:/opt/zimbra/conf/ldap-vmm.cf
virtual_transport = error
"""

MASTER_CF = """\
#
# Postfix master process configuration file of the Zimbra MTA (from master.cf.in)
#
# ==========================================================================
# service type  private unpriv  chroot  wakeup  maxproc command + args
#               (yes)   (yes)   (yes)   (never) (100)
# ==========================================================================
smtp      inet  n       -       n       -       -       smtpd
{submission}
465       inet  n       -       n       -       -       smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
pickup    fifo  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      fifo  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
smtp-amavis unix -      -       n       -       10      smtp
  -o smtp_data_done_timeout=1200
  -o smtp_send_xforward_command=yes
  -o disable_dns_lookups=yes
  -o max_use=20
[127.0.0.1]:10025 inet n -      n       -       -       smtpd
  -o content_filter=
  -o local_recipient_maps=
"""
SUBMISSION_OFF = """\
#submission inet n      -       n       -       -       smtpd
#  -o smtpd_tls_security_level=encrypt
#  -o smtpd_sasl_auth_enable=yes"""
SUBMISSION_ON = """\
submission inet n       -       n       -       -       smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes"""

FRENCH_MSGS = """\
# Messages du serveur, personnalisés pour les utilisateurs francophones
mail.notification.subject = Message non distribué
quota.warning = Votre boîte aux lettres est {quota} : {{0}} % utilisés.
password.expiry = Votre mot de passe expire dans {{0}} jours ; changez-le depuis « Préférences ».
"""

REJECT_SENDER = """\
# check_sender_access map, enabled with:
#   zmprov mcf +zimbraMtaSmtpdSenderRestrictions "check_sender_access hash:/opt/zimbra/conf/postfix_reject_sender"
invoices@billing-update.example REJECT
@phish.example REJECT Phishing domain
"""


def localconfig(heap: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "", "<localconfig>"]
    for key, value in LOCALCONFIG_KEYS:
        lines += [f'  <key name="{key}">', f"    <value>{value.format(heap=heap)}</value>", "  </key>"]
    return "\n".join([*lines, "</localconfig>", ""])


def keystore(generation: int) -> bytes:
    """A JKS-looking binary (magic FEEDFEED, version 2) that changes when the certificate is renewed."""
    body = random.Random(4040 + generation).randbytes(2040)
    return b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + body


def files_on(day: int) -> dict[str, bytes]:
    """Every regular file of the customizations archive of snapshot `day`, by member name."""
    files = {
        "conf/localconfig.xml": localconfig("1536" if day >= HEAP_RAISED else "1024").encode(),
        "conf/zmconfigd.cf": ZMCONFIGD_CF.encode(),
        "conf/log4j.properties": LOG4J_PROPERTIES.encode(),
        "conf/postfix_header_checks.in": POSTFIX_HEADER_CHECKS_IN.encode(),
        "conf/salocal.cf.in": SALOCAL_CF_IN.encode(),
        "conf/keystore": keystore(1 if day >= KEYSTORE_RENEWED else 0),
        "conf/msgs/ZsMsg_fr.properties": FRENCH_MSGS.format(
            quota="remplie à 90 %" if day >= FRENCH_MSGS_EDITED else "presque pleine"
        ).encode("latin-1"),
        "postfix/conf/main.cf": MAIN_CF.format(size="20480000" if day >= MAIN_CF_EDITED else "10240000").encode(),
        "postfix/conf/master.cf": MASTER_CF.format(
            submission=SUBMISSION_ON if day >= SUBMISSION_ENABLED else SUBMISSION_OFF
        ).encode(),
    }
    if day >= REJECT_SENDER_ADDED:
        files["conf/postfix_reject_sender"] = REJECT_SENDER.encode()
    return files


def changed_on(name: str) -> int:
    """The snapshot day a file changes on (for its tar mtime); -1 = never within the sample."""
    return {
        "conf/localconfig.xml": HEAP_RAISED,
        "conf/keystore": KEYSTORE_RENEWED,
        "conf/msgs/ZsMsg_fr.properties": FRENCH_MSGS_EDITED,
        "postfix/conf/main.cf": MAIN_CF_EDITED,
        "postfix/conf/master.cf": SUBMISSION_ENABLED,
        "conf/postfix_reject_sender": REJECT_SENDER_ADDED,
    }.get(name, -1)
