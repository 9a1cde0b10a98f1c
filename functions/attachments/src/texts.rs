//! The texts of the attachments function that are not field errors: refusal
//! reasons and the email telling an uploader that a file was refused. Emails never
//! carry the file's name, the assuré's identity or the file itself.

use ep_common::scan::FileKind;
use ep_common::tx::Notice;

pub const MALWARE: &str = "Un logiciel malveillant a été détecté dans ce fichier : il a été supprimé. Faites analyser le poste d'où il provient par votre antivirus avant d'envoyer de nouveau le document.";
pub const ENGINE_UNSUPPORTED: &str = "L'antivirus n'a pas pu analyser ce fichier (fichier protégé par un mot de passe, trop compressé ou d'un format qu'il ne lit pas) : il a été supprimé. Enregistrez le document sans mot de passe, ou numérisez-le, puis envoyez-le de nouveau.";
pub const ENGINE_FAILED: &str = "La vérification antivirus de ce fichier n'a pas pu aboutir : par précaution, il a été supprimé. Envoyez-le de nouveau ; si le refus se répète, signalez-le à votre caisse.";
pub const TOO_BIG: &str = "Le fichier reçu dépasse la taille maximale autorisée : il a été supprimé. Réduisez sa taille (numérisation en 150 ou 200 ppp) puis envoyez-le de nouveau.";
pub const WRONG_SIZE: &str = "Le fichier reçu n'a pas la taille annoncée lors de l'ajout : il a été supprimé. Ajoutez-le de nouveau.";

/// The content is of another accepted type than the one declared.
pub fn type_mismatch(found: FileKind, declared: FileKind) -> String {
    format!(
        "Le fichier est {} alors qu'il a été annoncé comme {} (le type est vérifié sur le contenu, pas sur le nom) : il a été supprimé. Ajoutez-le de nouveau en choisissant le bon fichier.",
        found.label(),
        declared.label()
    )
}

/// To the uploader of a refused file.
pub fn refused(name: &str, reference: &str, reason: &str) -> Notice {
    Notice {
        subject: format!("Demande {reference} : un fichier joint a été refusé"),
        paragraphs: vec![
            format!("Bonjour {name},"),
            format!("Un fichier que vous avez joint à la demande {reference} a été refusé lors de sa vérification, et supprimé."),
            format!("Motif : {reason}"),
            "Pour protéger les personnes accompagnées, ce message ne contient ni le nom du fichier ni l'identité de l'assuré : la page de la demande indique le fichier concerné.".to_owned(),
        ],
        link: None,
    }
}
