package report

import "github.com/whymail/whymail/checks"

// French is the catalog in French: the English entries with French words,
// for support desks that answer their users in French.
var French = translate(map[checks.CauseID]Wording{
	checks.AddressInvalid: {
		Title:       "L'adresse enregistrée n'est pas une adresse e-mail valide",
		Explanation: "L'adresse enfreint les règles de syntaxe des e-mails : aucun serveur de messagerie ne l'accepte et rien ne peut y être distribué.",
		Steps: []string{
			"Demander à l'utilisateur son adresse correcte et mettre à jour le compte.",
			"Vérifier que le formulaire d'inscription valide les adresses pour éviter que cela se reproduise.",
		},
		Reply:     "Nous n'avons pas pu vous envoyer l'e-mail, car l'adresse enregistrée sur votre compte n'est pas une adresse e-mail valide. Pourriez-vous nous confirmer votre adresse afin que nous la corrigions et vous renvoyions le lien ?",
		SettledBy: "l'adresse elle-même",
	},
	checks.AddressTypo: {
		Title:       "L'adresse contient probablement une faute de frappe",
		Explanation: "Le domaine ressemble à une faute de frappe d'un grand fournisseur de messagerie : l'e-mail est parti vers un domaine que l'utilisateur ne lit pas (ou a été refusé par lui).",
		Steps: []string{
			"Confirmer l'adresse voulue avec l'utilisateur (la suggestion figure dans les éléments de preuve).",
			"Corriger l'e-mail du compte, puis renvoyer le message.",
		},
		Reply:     "Il semble que l'adresse e-mail de votre compte contienne une faute de frappe, si bien que notre e-mail n'a pas pu vous parvenir. Pourriez-vous nous confirmer votre adresse exacte ? Dès qu'elle sera corrigée, nous vous renverrons le lien.",
		SettledBy: "l'adresse et le DNS de son domaine",
	},
	checks.DomainNotFound: {
		Title:       "Le domaine du destinataire n'existe pas",
		Explanation: "Le DNS indique que le domaine après le @ n'existe pas (NXDOMAIN) : aucun e-mail ne peut y être distribué.",
		Steps: []string{
			"Vérifier que le domaine de l'adresse ne contient pas de faute de frappe et le confirmer avec l'utilisateur.",
			"Si le domaine a existé, il a peut-être expiré : demander à l'utilisateur une adresse actuelle.",
		},
		Reply:     "Le domaine de l'adresse e-mail de votre compte (la partie après le @) ne semble pas exister, si bien que notre e-mail n'a pas pu être distribué. Pourriez-vous vérifier votre adresse ou nous en donner une autre ?",
		SettledBy: "le DNS du domaine du destinataire",
	},
	checks.DomainNoMail: {
		Title:       "Le domaine du destinataire n'accepte pas d'e-mails",
		Explanation: "Le domaine existe mais ne publie aucun serveur de messagerie en état de marche : un MX nul, ni MX ni adresse, ou des hôtes MX qui ne se résolvent pas.",
		Steps: []string{
			"Confirmer l'adresse avec l'utilisateur : en l'état, le domaine ne peut pas recevoir d'e-mails.",
			"S'il s'agit du domaine de son entreprise, son service informatique doit corriger les enregistrements MX.",
		},
		Reply:     "Le domaine de l'adresse e-mail de votre compte n'est pas configuré pour recevoir des e-mails pour le moment, si bien que notre message n'a pas pu être distribué. Pourriez-vous nous donner une autre adresse, ou demander à votre administrateur de messagerie de vérifier ce domaine ?",
		SettledBy: "le DNS du domaine du destinataire",
	},
	checks.MailboxUnknown: {
		Title:       "La boîte aux lettres n'existe pas",
		Explanation: "Le serveur destinataire a répondu qu'il n'y a pas d'utilisateur de ce nom sur ce domaine (5.1.1).",
		Steps: []string{
			"Confirmer l'adresse exacte avec l'utilisateur : la partie avant le @ est sans doute erronée, ou la boîte a été fermée.",
			"Mettre à jour le compte, puis renvoyer le message.",
		},
		Reply:     "Le serveur de messagerie destinataire nous a indiqué que cette boîte aux lettres n'existe pas. Pourriez-vous nous confirmer votre adresse exacte ? Il peut s'agir d'une petite faute de frappe, ou la boîte a peut-être été fermée.",
		SettledBy: "un message de non-distribution ou le journal de messagerie",
	},
	checks.MailboxFull: {
		Title:       "La boîte aux lettres de l'utilisateur est pleine",
		Explanation: "Le serveur destinataire a refusé ou différé le message parce que la boîte dépasse son quota de stockage.",
		Steps: []string{
			"Demander à l'utilisateur de libérer de l'espace dans sa boîte aux lettres.",
			"Renvoyer le message une fois que c'est fait ; un report 4.2.2 peut encore aboutir de lui-même.",
		},
		Reply:     "Votre boîte aux lettres semble pleine, si bien que notre e-mail n'a pas pu être distribué. Merci de supprimer quelques messages pour libérer de l'espace et de nous prévenir afin que nous vous le renvoyions.",
		SettledBy: "un message de non-distribution ou le journal de messagerie",
	},
	checks.NoAccount: {
		Title:       "Aucun compte n'utilise cette adresse : rien n'a été envoyé",
		Explanation: "L'adresse ne correspond à aucun compte utilisateur. Les formulaires de réinitialisation affichent en général « e-mail envoyé » dans tous les cas : l'utilisateur croit donc qu'un message est en route.",
		Steps: []string{
			"Demander à l'utilisateur avec quelle adresse il s'est inscrit, ou chercher le compte par son nom ou d'autres informations.",
			"S'il n'a pas de compte, l'orienter vers l'inscription.",
		},
		Reply:     "Nous n'avons trouvé aucun compte enregistré avec cette adresse e-mail, si bien qu'aucun e-mail n'a été envoyé. Est-il possible que vous vous soyez inscrit avec une autre adresse ? Si vous nous indiquez votre nom ou votre identifiant, nous pourrons la retrouver.",
		SettledBy: "les comptes utilisateurs",
	},
	checks.WrongInbox: {
		Title:       "L'e-mail est parti vers une autre adresse que celle vérifiée",
		Explanation: "L'e-mail enregistré sur le compte diffère de l'adresse dans laquelle l'utilisateur cherche.",
		Steps: []string{
			"Indiquer à l'utilisateur vers quelle boîte l'e-mail est parti (en la masquant si la politique l'exige).",
			"S'il n'utilise plus cette adresse, vérifier son identité puis la mettre à jour.",
		},
		Reply:     "Notre e-mail a été envoyé à l'adresse enregistrée sur votre compte, qui n'est pas celle que vous avez mentionnée. Merci de vérifier aussi cette boîte ; si vous n'y avez plus accès, répondez-nous et nous vous aiderons à la mettre à jour.",
		SettledBy: "les comptes utilisateurs et l'identifiant du compte",
	},
	checks.AccountInactive: {
		Title:       "Le compte est inactif : l'application ne lui envoie aucun e-mail",
		Explanation: "Le compte utilisateur est inactif, désactivé ou en attente, et l'application n'envoie pas de réinitialisation de mot de passe à ces comptes.",
		Steps: []string{
			"Vérifier pourquoi le compte est inactif (inscription non vérifiée, compte fermé, désactivé par un administrateur).",
			"Le réactiver ou le faire vérifier à nouveau si la politique le permet, puis renvoyer le message.",
		},
		Reply:     "Votre compte n'est pas actif pour le moment, c'est pourquoi aucun e-mail ne vous est parvenu. Nous pouvons vous aider à le réactiver ; merci de nous répondre pour confirmer que vous le souhaitez.",
		SettledBy: "les comptes utilisateurs",
	},
	checks.AccountLocked: {
		Title:       "Le compte est verrouillé",
		Explanation: "Le compte utilisateur est verrouillé (par exemple après trop de tentatives), et l'application n'envoie aucune réinitialisation tant qu'il n'est pas déverrouillé.",
		Steps: []string{
			"Vérifier quand le verrouillage prend fin et pourquoi il a été posé.",
			"Déverrouiller après avoir vérifié l'identité de l'utilisateur, ou lui dire quand réessayer.",
		},
		Reply:     "Votre compte est temporairement verrouillé pour votre sécurité, si bien que l'e-mail de réinitialisation n'a pas été envoyé. Nous pouvons le déverrouiller après avoir vérifié quelques informations, ou vous pouvez réessayer après la fin du verrouillage.",
		SettledBy: "les comptes utilisateurs",
	},
	checks.LinkExpired: {
		Title:       "L'e-mail est arrivé mais son lien a expiré",
		Explanation: "Le dernier e-mail de réinitialisation a été envoyé il y a plus longtemps que la durée de validité du lien : le lien qu'il contient ne fonctionne plus.",
		Steps: []string{
			"Envoyer un nouvel e-mail de réinitialisation et demander à l'utilisateur de s'en servir sans tarder.",
			"Lui demander d'utiliser le plus récent s'il en a reçu plusieurs.",
		},
		Reply:     "Le lien de réinitialisation que nous vous avons envoyé a expiré, pour votre sécurité. Nous vous en avons envoyé (ou pouvons vous en envoyer) un nouveau ; merci de l'utiliser dans la journée, et de prendre l'e-mail le plus récent si vous en voyez plusieurs.",
		SettledBy: "les comptes utilisateurs (reset_sent_at) ou un message envoyé",
	},
	checks.Suppressed: {
		Title:       "L'adresse figure sur la liste de suppression du fournisseur d'envoi",
		Explanation: "Après un rejet définitif, une plainte pour spam ou une désinscription, le fournisseur d'envoi bloque tout e-mail vers cette adresse sans tenter de le distribuer.",
		Steps: []string{
			"Confirmer avec l'utilisateur que l'adresse fonctionne désormais (le rejet précédent était peut-être temporaire).",
			"Retirer l'adresse de la liste de suppression (voir les étapes propres au fournisseur), puis renvoyer le message.",
		},
		Reply:     "Un précédent e-mail vers votre adresse a été rejeté, si bien que notre système d'envoi a suspendu les envois vers elle. Nous avons vérifié l'adresse et levé le blocage, et nous allons vous renvoyer l'e-mail dès maintenant.",
		SettledBy: "les listes de suppression",
	},
	checks.SpamFolder: {
		Title:       "L'e-mail a été distribué mais classé comme spam",
		Explanation: "Le fournisseur destinataire a accepté le message, mais ses filtres l'ont placé dans le dossier courrier indésirable ou spam (ou dans un onglet comme Promotions).",
		Steps: []string{
			"Demander à l'utilisateur de chercher l'expéditeur dans son dossier spam/courrier indésirable (et dans les onglets Promotions/Notifications).",
			"Lui demander de le marquer comme « non spam » et d'ajouter l'expéditeur à ses contacts.",
		},
		Reply:          "Notre e-mail a peut-être été classé dans votre dossier spam ou courrier indésirable. Pourriez-vous le chercher à cet endroit (et dans les onglets Promotions ou Autres) ? Si vous le trouvez, le marquer comme « non spam » aidera nos prochains e-mails à arriver dans votre boîte de réception.",
		SettledBy:      "le journal de messagerie, pour savoir s'il a été distribué, et l'expéditeur, pour son authentification",
		DefaultMessage: "Le filtrage anti-spam est la raison la plus courante pour laquelle un e-mail distribué n'est pas vu ; rien dans cette analyse ne l'a exclu.",
	},
	checks.CorporateFilter: {
		Title:       "Une passerelle de messagerie d'entreprise ou d'école le retient",
		Explanation: "Le courrier du destinataire passe par une passerelle de sécurité qui peut mettre des messages en quarantaine avant qu'ils n'atteignent la boîte de réception.",
		Steps: []string{
			"Demander à l'utilisateur de consulter son résumé de quarantaine ou de demander à son service informatique de libérer le message.",
			"Demander au service informatique d'autoriser le domaine et les IP d'envoi.",
		},
		Reply:     "Le système de sécurité de la messagerie de votre organisation retient peut-être notre message en quarantaine. Pourriez-vous consulter vos e-mails de résumé de quarantaine, ou demander à votre service informatique de le libérer et d'autoriser nos e-mails ?",
		SettledBy: "les hôtes MX du domaine du destinataire, et le journal de messagerie",
	},
	checks.SenderAuth: {
		Title:       "Notre domaine d'envoi échoue à l'authentification (SPF, DKIM ou DMARC)",
		Explanation: "Les destinataires vérifient que le courrier vient bien du domaine d'envoi ; un échec l'envoie dans les spams ou le fait refuser.",
		Steps: []string{
			"Faire remonter à la personne qui gère le DNS du domaine d'envoi, avec les enregistrements en échec affichés.",
			"Corriger l'enregistrement (include SPF du service d'envoi, clé DKIM, alignement DMARC), puis renvoyer le message.",
		},
		Reply:     "Nous avons détecté de notre côté un problème qui peut empêcher nos e-mails d'arriver, et notre équipe le corrige. En attendant, merci de vérifier votre dossier spam ; nous vous préviendrons dès qu'il sera résolu.",
		SettledBy: "l'expéditeur, les IP d'envoi et un message envoyé",
	},
	checks.SenderBlocklisted: {
		Title:       "Notre serveur ou domaine d'envoi figure sur une liste de blocage",
		Explanation: "Une liste de blocage DNS répertorie l'IP ou le domaine d'envoi, et les destinataires qui l'utilisent refusent ou filtrent notre courrier.",
		Steps: []string{
			"Faire remonter au responsable de la plateforme d'envoi, avec la liste et l'adresse répertoriée.",
			"Suivre la procédure de retrait de la liste après avoir corrigé la cause de l'inscription.",
		},
		Reply:     "Nous avons détecté de notre côté un problème qui empêche la distribution de certains de nos e-mails, et notre équipe y travaille. Nous vous préviendrons dès qu'il sera corrigé.",
		SettledBy: "les IP d'envoi et l'expéditeur",
	},
	checks.RejectedByRecipient: {
		Title:       "Le serveur destinataire l'a refusé par politique",
		Explanation: "Le serveur du destinataire a rejeté le message pour une raison de politique (5.7.x) : contenu, réputation ou règle locale.",
		Steps: []string{
			"Lire le texte du rejet dans les éléments de preuve ; il nomme en général la règle.",
			"Demander à l'administrateur de messagerie de l'utilisateur d'autoriser le courrier du domaine d'envoi.",
		},
		Reply:     "Votre fournisseur de messagerie a rejeté notre message. Pourriez-vous demander à votre administrateur de messagerie (ou à votre service informatique) d'autoriser nos e-mails ? En attendant, vous pouvez utiliser une autre adresse e-mail.",
		SettledBy: "un message de non-distribution ou le journal de messagerie",
	},
	checks.Delayed: {
		Title:       "L'e-mail est retardé, ou l'expéditeur a renoncé à le renvoyer",
		Explanation: "Le serveur destinataire l'a différé (échec temporaire, liste grise, limite de débit) ou il est encore en transit ; l'expéditeur réessaie pendant des jours. Quand les éléments de preuve montrent que l'expéditeur a renoncé (expiré, échec définitif après plusieurs tentatives), il n'arrivera pas et doit être renvoyé.",
		Steps: []string{
			"S'il est encore en cours de renvoi, demander à l'utilisateur de patienter un peu puis de vérifier à nouveau ; une liste grise se lève en général en 15 à 30 minutes.",
			"Si l'expéditeur a renoncé (expiré), corriger ce que nomme la raison du report dans les éléments de preuve, puis renvoyer le message.",
		},
		Reply:     "Votre fournisseur de messagerie retarde notre message. Cela se règle en général dans l'heure et l'e-mail arrive de lui-même ; s'il n'est pas arrivé d'ici là, prévenez-nous et nous vous le renverrons.",
		SettledBy: "le journal de messagerie",
	},
	checks.NotSent: {
		Title:       "Rien n'indique que l'application l'a envoyé",
		Explanation: "Les journaux de messagerie couvrent l'heure de la demande et ne contiennent rien pour cette adresse : l'e-mail n'a probablement jamais été remis au système de messagerie.",
		Steps: []string{
			"Faire remonter à l'équipe technique : l'application n'a pas remis l'e-mail au système de messagerie.",
			"Vérifier la file de tâches et les journaux d'erreurs de l'application à l'heure de la demande.",
		},
		Reply:     "Nous n'avons trouvé aucune trace de l'envoi de l'e-mail, et nous avons transmis le problème à notre équipe technique. Nous revenons vers vous rapidement ; vous pouvez aussi demander un nouvel e-mail en attendant.",
		SettledBy: "le journal de messagerie",
	},
})
